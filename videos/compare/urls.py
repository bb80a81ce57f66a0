from django.urls import path

from videos.compare import views
from videos.conform import views as conform_views
from videos.conform.recut_views import recut_page

app_name = "compare"

urlpatterns = [
    path("", views.picker_page, name="picker"),
    path("<int:comparison_id>/", views.comparison_page, name="comparison"),
    path("<int:comparison_id>/recut/", recut_page, name="recut"),
    path("<int:comparison_id>/delete/", views.comparison_delete_page, name="delete"),
    path("<int:comparison_id>/changes/", conform_views.change_list_page, name="changes"),
]
