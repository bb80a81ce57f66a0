from django.apps import AppConfig


class ShowcaseConfig(AppConfig):
    """No models: the demo and the sample are ordinary videos, comparisons, notes and chats."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "showcase"
