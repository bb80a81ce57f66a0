from django.urls import path

from videos import captions, media, views
from videos.projects import views as project_views
from videos.versions import views as version_views

app_name = "videos"

urlpatterns = [
    path("", views.library_page, name="library"),
    path("upload/", views.upload_page, name="upload"),
    path("upload/compare/", views.compare_two_page, name="compare_two"),
    path("<int:video_id>/", views.video_page, name="video"),
    path("<int:video_id>/cancel/", views.video_cancel_view, name="cancel"),
    path("<int:video_id>/retry/", views.video_retry_view, name="retry"),
    path("<int:video_id>/delete/", views.video_delete_view, name="delete"),
    path("<int:video_id>/move/", project_views.video_move_view, name="move"),
    path("projects/new/", project_views.project_create_view, name="project_create"),
    path("projects/deleted/", project_views.deleted_projects_page, name="deleted_projects"),
    path("projects/<int:project_id>/", project_views.project_page, name="project"),
    path("projects/<int:project_id>/rename/", project_views.project_rename_view, name="project_rename"),
    path("projects/<int:project_id>/delete/", project_views.project_delete_view, name="project_delete"),
    path("projects/<int:project_id>/restore/", project_views.project_restore_view, name="project_restore"),
    path("<int:video_id>/since-first/", version_views.compare_with_first_view, name="compare_with_first"),
    path("stacks/<int:stack_id>/", version_views.stack_page, name="stack"),
    path("<int:video_id>/file", media.video_file, name="file"),
    path("<int:video_id>/small.mp4", media.video_small, name="small"),
    path("<int:video_id>/original", media.video_original, name="original"),
    path("<int:video_id>/poster.jpg", media.video_poster, name="poster"),
    path("<int:video_id>/sprite.jpg", media.video_sprite, name="sprite"),
    path("<int:video_id>/captions.vtt", captions.video_captions, name="captions"),
]
