"""`/s/<token>/…`: the page a share link opens, its JSON and its media (reviews.shared_views).
Short, and nothing in the path but the token (and, for media, a signed claim)."""

from django.urls import path

from reviews import shared_views

app_name = "shared"

urlpatterns = [
    path("<str:token>/", shared_views.shared_page, name="page"),
    path("<str:token>/v/<int:video_id>/", shared_views.shared_project_video, name="project-video"),
    path(
        "<str:token>/v/<int:video_id>/review-status/",
        shared_views.shared_review_status,
        name="project-video-review-status",
    ),
    path("<str:token>/c/<int:comparison_id>/", shared_views.shared_project_comparison, name="project-comparison"),
    path(
        "<str:token>/c/<int:comparison_id>/comparison.json",
        shared_views.shared_comparison_json,
        name="project-comparison-json",
    ),
    path(
        "<str:token>/c/<int:comparison_id>/review-status/",
        shared_views.shared_review_status,
        name="project-comparison-review-status",
    ),
    path(
        "<str:token>/c/<int:comparison_id>/markers.<str:file_type>",
        shared_views.shared_markers,
        name="project-comparison-markers",
    ),
    path("<str:token>/comparison.json", shared_views.shared_comparison_json, name="comparison-json"),
    path("<str:token>/markers.<str:file_type>", shared_views.shared_markers, name="markers"),
    path("<str:token>/review-status/", shared_views.shared_review_status, name="review-status"),
    path("<str:token>/media.json", shared_views.shared_media_json, name="media-json"),
    path("<str:token>/media/<str:signed>/", shared_views.shared_media, name="media"),
]
