from django.urls import path

from workspaces import views

app_name = "workspaces"

urlpatterns = [
    path("", views.workspace_list, name="list"),
    path("new/", views.workspace_create, name="create"),
    path("<int:workspace_id>/", views.workspace_page, name="workspace"),
    path("<int:workspace_id>/rename/", views.workspace_rename_view, name="rename"),
    path("<int:workspace_id>/leave/", views.workspace_leave_view, name="leave"),
    path("<int:workspace_id>/transfer/", views.ownership_transfer_view, name="transfer"),
    path("<int:workspace_id>/members/<int:user_id>/role/", views.member_role_view, name="member_role"),
    path("<int:workspace_id>/members/<int:user_id>/remove/", views.member_remove_view, name="member_remove"),
    path("<int:workspace_id>/invitations/", views.invitation_create_view, name="invite"),
    path(
        "<int:workspace_id>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path(
        "<int:workspace_id>/invitations/<int:invitation_id>/resend/",
        views.invitation_resend_view,
        name="invitation_resend",
    ),
    # The link an invitation mails: its token is the capability (workspaces.services).
    path("invitations/<str:token>/", views.invitation_page, name="invitation"),
]
