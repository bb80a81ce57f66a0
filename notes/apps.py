from django.apps import AppConfig


class NotesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notes"

    def ready(self) -> None:
        from notes import signals  # noqa: F401 -- in ready(), as it imports models: connects the receivers
        from notes.models import Note
        from workspaces.registry import register_work

        register_work(Note)
