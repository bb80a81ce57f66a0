from django.urls import path

from reviews import views

app_name = "reviews"

urlpatterns = [
    path(
        "comparisons/<int:comparison_id>/links/",
        views.comparison_share_link_create,
        name="comparison-share-link-create",
    ),
    path("videos/<int:video_id>/links/", views.video_share_link_create, name="video-share-link-create"),
    path("stacks/<int:stack_id>/links/", views.stack_share_link_create, name="stack-share-link-create"),
    path("projects/<int:project_id>/links/", views.project_share_link_create, name="project-share-link-create"),
    path("videos/<int:video_id>/review-status/", views.video_review_status_page, name="video-review-status"),
    path(
        "comparisons/<int:comparison_id>/review-status/",
        views.comparison_review_status_page,
        name="comparison-review-status",
    ),
    path("links/<int:link_id>/revoke/", views.share_link_revoke_page, name="share-link-revoke"),
    path("links/<int:link_id>/rotate/", views.share_link_rotate_page, name="share-link-rotate"),
]
