from django.urls import path

from chat import views

app_name = "chat"

urlpatterns = [
    path("", views.conversation_list_page, name="list"),
    path("new/", views.conversation_new_view, name="new"),
    path("search/", views.message_search_page, name="search"),
    path("videos/<int:video_id>/conversations/", views.video_conversations_view, name="video-conversations"),
    path("<int:conversation_id>/", views.conversation_page, name="conversation"),
    path("<int:conversation_id>/delete/", views.conversation_delete_view, name="delete"),
    path("<int:conversation_id>/restore/", views.conversation_restore_view, name="restore"),
]
