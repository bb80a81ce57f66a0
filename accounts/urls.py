from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.settings_page, name="settings"),
    path("profile/", views.profile_update, name="profile"),
    path("tokens/", views.token_create, name="token_create"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    # No trailing slash: the extension opens exactly /settings/connect?challenge=…&browser=… .
    path("connect", views.extension_connect, name="extension_connect"),
]
