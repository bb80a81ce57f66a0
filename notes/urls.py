from django.urls import path, re_path

from notes import views

app_name = "notes"

urlpatterns = [
    path("<int:note_id>/frame.jpg", views.note_frame, name="frame"),
    re_path(r"^export\.(?P<file_type>md|json)$", views.notes_export, name="export"),
    re_path(
        r"^videos/(?P<video_id>[0-9]+)/export\.(?P<file_type>md|json)$", views.video_notes_export, name="video-export"
    ),
]
