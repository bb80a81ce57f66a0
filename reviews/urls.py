from django.urls import path

from reviews import views

app_name = "reviews"

urlpatterns = [
    path(
        "comparisons/<int:comparison_id>/links/",
        views.comparison_share_link_create,
        name="comparison-share-link-create",
    ),
    path("links/<int:link_id>/revoke/", views.share_link_revoke_page, name="share-link-revoke"),
]
