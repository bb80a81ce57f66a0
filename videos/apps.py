from django.apps import AppConfig
from django.db.models.signals import post_delete

from sage.realtime import register_object_kind
from workspaces.registry import register_work


class VideosConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "videos"

    def ready(self) -> None:
        # In ready(): models load only once the app registry is ready; vector_params before the
        # first connection copies psycopg's adapters.
        from videos import models, selectors, vector_params  # noqa: F401

        # A workspace's work; deleting a team names its videos.
        register_work(models.Video, counted_as=("video", "videos"))
        for model in (
            models.Project,
            models.VideoStack,
            models.Upload,
            models.Comparison,
            models.TranscriptChunk,
            models.RecutJob,
        ):
            register_work(model)

        # Browsers may watch a video's progress group only if the video is their workspace's.
        register_object_kind(
            "video", lambda member, pk: pk.isdigit() and selectors.videos_for_user(member).filter(pk=pk).exists()
        )
        # A recut job's files go with it, however it is deleted (a comparison's or a video's cascade).
        post_delete.connect(
            lambda instance, **kwargs: instance.delete_files_on_commit(),
            sender=models.RecutJob,
            weak=False,
            dispatch_uid="recut-job-files",
        )
        # A comparison's group carries its recut jobs' progress (videos.conform.jobs.push_recut).
        register_object_kind(
            "comparison",
            lambda member, pk: pk.isdigit() and selectors.comparisons_for_user(member).filter(pk=pk).exists(),
        )
