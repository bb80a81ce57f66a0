"""`/sessions/<code>/`: a live session's page for members (the guests' is under the shared URLs)."""

from django.urls import path

from review_sessions import views

app_name = "review_sessions"

urlpatterns = [
    path("<str:code>/", views.session_page, name="page"),
]
