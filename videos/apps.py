from django.apps import AppConfig

from sage.realtime import register_object_kind


class VideosConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "videos"

    def ready(self) -> None:
        # In ready(): models load only once the app registry is ready; vector_params before the
        # first connection copies psycopg's adapters.
        from videos import models, vector_params  # noqa: F401

        # Browsers may watch a video's progress group only if the video is theirs.
        register_object_kind(
            "video", lambda user, pk: pk.isdigit() and models.Video.objects.filter(pk=pk, owner=user).exists()
        )
