from django.apps import AppConfig

from workspaces.registry import register_work


class ReviewsConfig(AppConfig):
    """Sharing with people who have no account: share links now; the shared page, reviewers'
    comments and version stacks build on them. Sits above `notes` (a link shows the owner's notes),
    beside `chat` (nothing of chat is ever shared)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"

    def ready(self) -> None:
        # In ready(): these import models, which load only once the app registry is ready.
        # Signals: a deleted link closes its pages. The reader: exports below this app see comments.
        from reviews import exports, signals  # noqa: F401
        from videos.review_comments import register_comment_reader

        register_comment_reader(exports.ReviewCommentReader())
        register_work(self.get_model("ShareLink"))
