from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "workspaces"

    def ready(self) -> None:
        # signals: every new account gets its personal workspace (imports models: ready() only).
        from workspaces import signals  # noqa: F401
