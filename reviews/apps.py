from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    """Sharing with people who have no account: share links now; the shared page, reviewers'
    comments and version stacks build on them. Sits above `notes` (a link shows the owner's notes),
    beside `chat` (nothing of chat is ever shared)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"
