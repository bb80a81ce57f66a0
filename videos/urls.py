from django.urls import path

from videos import views

app_name = "videos"

urlpatterns = [
    path("upload/", views.upload_page, name="upload"),
]
