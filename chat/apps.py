from django.apps import AppConfig

from workspaces.registry import register_work


class ChatConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chat"

    def ready(self) -> None:
        # The model by name, from the app registry (ready: the models are loaded).
        register_work(self.get_model("Conversation"))  # a member's (a guest's is about one shared video: no workspace)
