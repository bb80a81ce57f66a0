from django.apps import AppConfig

from workspaces.registry import register_work


class ReviewSessionsConfig(AppConfig):
    """Live review sessions: everyone's page in step on one comparison, video or stack, one presenter
    driving. Sits above `reviews` (a session's guests come through a share link; its comments are
    the object's ordinary comments)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "review_sessions"

    def ready(self) -> None:
        # In ready(): signal handlers import models, which load only once the app registry is ready.
        from review_sessions import signals  # noqa: F401
        from review_sessions.models import ReviewSession

        register_work(ReviewSession)
