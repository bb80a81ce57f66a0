from django.apps import AppConfig

from workspaces.registry import register_work


class NotesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notes"

    def ready(self) -> None:
        from notes import signals  # noqa: F401 -- in ready(), as it imports models: connects the receivers

        register_work(self.get_model("Note"))
