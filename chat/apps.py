from django.apps import AppConfig


class ChatConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chat"

    def ready(self) -> None:
        # In ready(): models load only once the app registry is ready.
        from chat.models import Conversation
        from workspaces.registry import register_work

        register_work(Conversation)  # a member's (a guest's is about one shared video: no workspace)
