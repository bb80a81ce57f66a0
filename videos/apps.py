from django.apps import AppConfig


class VideosConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "videos"

    def ready(self) -> None:
        # In ready(): models (and what imports them) load only once the app registry is ready.
        from sage.realtime import register_object_kind
        from videos import vector_params  # noqa: F401  # before the first connection copies psycopg's adapters
        from videos.models import Video

        # Browsers may watch a video's progress group only if the video is theirs.
        register_object_kind(
            "video", lambda user, pk: pk.isdigit() and Video.objects.filter(pk=pk, owner=user).exists()
        )
