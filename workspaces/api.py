"""`/api/v1/workspaces…`: my workspaces, their members, invitations and ownership.

Reads take an API token with `read`; every change (creating, renaming, inviting, roles, removing,
transferring) takes the browser session: who belongs to a team is decided by a person on the site,
never by a script holding a token. Another workspace's ids are 404 for everything; a member whose
role does not allow a change gets 403 with a sentence saying which role it takes.
"""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from sage.api.errors import error_responses
from sage.api.fields import TextField
from workspaces.doors import NOT_WORKSPACE_WORK
from workspaces.invitations import (
    INVITATION_DAYS,
    INVITE_REFUSAL,
    invitation_create,
    invitation_resend,
    invitation_revoke,
)
from workspaces.models import GIVEN_ROLES, Invitation, Membership, Role, Workspace
from workspaces.selectors import (
    invitation_in,
    invitations_of,
    member_in,
    members_of,
    membership_in,
    memberships_of,
    seats_of,
    seats_taken,
)
from workspaces.services import (
    CHANGE_ROLE_REFUSAL,
    RENAME_REFUSAL,
    TRANSFER_REFUSAL,
    member_change_role,
    membership_remove,
    ownership_transfer,
    require_may,
    workspace_create_team,
    workspace_rename,
)

# These act on the workspace in the path, not the one the request acts in: they declare their rows
# for it (`path_workspace_actions`), and their services ask the policy with the member's role there
# (the doors, which ask it with the acting workspace's role, do not apply). A token needs the row's
# scope: `read` to read, and the writes are the session's.
ROLES_CHECKED_HERE = dict.fromkeys(("GET", "POST", "PATCH", "DELETE"), NOT_WORKSPACE_WORK)

_WORKSPACE_ID = OpenApiParameter("workspace_id", int, OpenApiParameter.PATH, description="The workspace's id.")
_USER_ID = OpenApiParameter("user_id", int, OpenApiParameter.PATH, description="The member's account id.")
_INVITATION_ID = OpenApiParameter("invitation_id", int, OpenApiParameter.PATH, description="The invitation's id.")
_SESSION = "Browser session only: API tokens get 403 `session_required`."
_ROLES_HELP = (
    "`viewer` (watch, read) < `commenter` (also comment, notes) < `editor` (also upload, compare, chat, "
    "share) < `admin` (also members and links) < `owner` (also transfer; one per workspace)."
)


def _user(request: Request) -> User:
    assert isinstance(request.user, User)  # IsAuthenticated ran before the handler
    return request.user


def _membership(request: Request, workspace_id: int) -> Membership:
    return membership_in(_user(request), workspace_id)


# --- serializers ---------------------------------------------------------------------------------


class WorkspaceListOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="workspace.pk")
    name = serializers.CharField(source="workspace.name")
    kind = serializers.ChoiceField(choices=Workspace.Kind.choices, source="workspace.kind")
    role = serializers.ChoiceField(choices=Role.choices, help_text=f"My role in it. {_ROLES_HELP}")
    member_count = serializers.IntegerField()
    created_at = serializers.DateTimeField(source="workspace.created_at")


class WorkspaceOutput(serializers.Serializer[Membership]):
    id = serializers.IntegerField(source="workspace.pk")
    name = serializers.CharField(source="workspace.name")
    kind = serializers.ChoiceField(choices=Workspace.Kind.choices, source="workspace.kind")
    role = serializers.ChoiceField(choices=Role.choices, help_text=f"My role in it. {_ROLES_HELP}")
    seats = serializers.SerializerMethodField(help_text="People it may hold: its owner's plan's seats.")
    seats_taken = serializers.SerializerMethodField(help_text="Members plus pending invitations.")
    created_at = serializers.DateTimeField(source="workspace.created_at")

    def get_seats(self, membership: Membership) -> int:
        return seats_of(membership.workspace)

    def get_seats_taken(self, membership: Membership) -> int:
        return seats_taken(membership.workspace)


class WorkspaceNameInput(serializers.Serializer[Any]):
    name = TextField(max_length=80, name=True, help_text="What the workspace is called.")


class MemberOutput(serializers.Serializer[Any]):
    user_id = serializers.IntegerField()
    name = serializers.CharField(source="user.name", help_text="Display name, else the address's local part.")
    email = serializers.EmailField(source="user.email")
    role = serializers.ChoiceField(choices=Role.choices, help_text=_ROLES_HELP)
    joined_at = serializers.DateTimeField(source="created_at")


class MemberRoleInput(serializers.Serializer[Any]):
    role = serializers.ChoiceField(choices=GIVEN_ROLES, help_text="At most your own role; `owner` only by a transfer.")


class TransferInput(serializers.Serializer[Any]):
    user_id = serializers.IntegerField(min_value=1, help_text="The member who becomes owner.")


class InvitationOutput(serializers.ModelSerializer[Invitation]):
    state = serializers.ChoiceField(
        choices=Invitation.State.choices,
        help_text="`pending` (holds a seat until it expires), `accepted`, `revoked` or `expired`.",
    )
    invited_by = serializers.EmailField(source="invited_by.email", allow_null=True, default=None)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "role",
            "state",
            "invited_by",
            "created_at",
            "sent_at",
            "expires_at",
            "accepted_at",
            "revoked_at",
        ]
        read_only_fields = fields


class InvitationInput(serializers.Serializer[Any]):
    email = serializers.EmailField(
        max_length=Invitation._meta.get_field("email").max_length,
        help_text="Where the link is mailed; only an account with it may accept.",
    )
    role = serializers.ChoiceField(choices=GIVEN_ROLES, help_text="At most your own role; never `owner`.")


# --- workspaces ----------------------------------------------------------------------------------


class WorkspaceListApi(APIView):
    workspace_actions = ROLES_CHECKED_HERE

    @extend_schema(responses={200: WorkspaceListOutput(many=True), **error_responses(403)}, summary="My workspaces")
    def get(self, request: Request) -> Response:
        return Response(WorkspaceListOutput(memberships_of(_user(request)), many=True).data)

    @extend_schema(
        request=WorkspaceNameInput,
        responses={201: WorkspaceOutput, **error_responses(400, 403)},
        summary="Create a team workspace",
        description=f"{_SESSION} Only an account whose plan has more than one seat (the Team plan) may: others get "
        "403 `team_plan_required`. The creator is its owner.",
    )
    def post(self, request: Request) -> Response:
        payload = WorkspaceNameInput(data=request.data)
        payload.is_valid(raise_exception=True)
        user = _user(request)
        workspace = workspace_create_team(user=user, name=payload.validated_data["name"])
        output = WorkspaceOutput(membership_in(user, workspace.pk))
        return Response(output.data, status=status.HTTP_201_CREATED)


class WorkspaceDetailApi(APIView):
    workspace_actions = ROLES_CHECKED_HERE
    path_workspace_actions = {"GET": "workspace.view", "PATCH": "workspace.rename"}

    @extend_schema(
        parameters=[_WORKSPACE_ID],
        responses={200: WorkspaceOutput, **error_responses(403, 404)},
        summary="One of my workspaces",
    )
    def get(self, request: Request, workspace_id: int) -> Response:
        return Response(WorkspaceOutput(_membership(request, workspace_id)).data)

    @extend_schema(
        parameters=[_WORKSPACE_ID],
        request=WorkspaceNameInput,
        responses={200: WorkspaceOutput, **error_responses(400, 403, 404)},
        summary="Rename a workspace",
        description=f"{_SESSION} Admins and the owner.",
    )
    def patch(self, request: Request, workspace_id: int) -> Response:
        membership = _membership(request, workspace_id)
        require_may(membership, "workspace.rename", RENAME_REFUSAL)  # before the input, which may name nothing
        payload = WorkspaceNameInput(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        if "name" in payload.validated_data:  # a PATCH changes what it names, and nothing else
            workspace_rename(membership=membership, name=payload.validated_data["name"])
        return Response(WorkspaceOutput(membership).data)


class WorkspaceTransferApi(APIView):
    workspace_actions = ROLES_CHECKED_HERE
    path_workspace_actions = {"POST": "workspace.transfer"}

    @extend_schema(
        parameters=[_WORKSPACE_ID],
        request=TransferInput,
        responses={200: WorkspaceOutput, **error_responses(400, 403, 404, 409)},
        summary="Transfer ownership to a member",
        description=f"{_SESSION} The owner only, of a team workspace, to one of its members: they become owner and "
        "the old owner an admin, at once. 409 when their plan has too few seats for the workspace (its seats come "
        "from the owner's plan).",
    )
    def post(self, request: Request, workspace_id: int) -> Response:
        membership = _membership(request, workspace_id)
        require_may(membership, "workspace.transfer", TRANSFER_REFUSAL)  # before the input (again under its lock)
        payload = TransferInput(data=request.data)
        payload.is_valid(raise_exception=True)
        member = member_in(membership.workspace, payload.validated_data["user_id"])
        ownership_transfer(membership=membership, member=member)
        return Response(WorkspaceOutput(membership).data)


# --- members -------------------------------------------------------------------------------------


class MemberListApi(APIView):
    workspace_actions = ROLES_CHECKED_HERE
    path_workspace_actions = {"GET": "workspace.view"}

    @extend_schema(
        parameters=[_WORKSPACE_ID],
        responses={200: MemberOutput(many=True), **error_responses(403, 404)},
        summary="Members of a workspace",
        description="Any member may list them: the owner first, then by role, then by joining.",
    )
    def get(self, request: Request, workspace_id: int) -> Response:
        membership = _membership(request, workspace_id)
        return Response(MemberOutput(members_of(membership.workspace), many=True).data)


class MemberDetailApi(APIView):
    workspace_actions = ROLES_CHECKED_HERE
    # Removing oneself is leaving (`workspace.leave`): the service asks which it is.
    path_workspace_actions = {"PATCH": "workspace.manage_members", "DELETE": "workspace.manage_members"}

    @extend_schema(
        parameters=[_WORKSPACE_ID, _USER_ID],
        request=MemberRoleInput,
        responses={200: MemberOutput, **error_responses(400, 403, 404)},
        summary="Change a member's role",
        description=f"{_SESSION} Admins and the owner, up to their own role; only the owner changes an admin's; "
        "the owner's own role changes only by a transfer.",
    )
    def patch(self, request: Request, workspace_id: int, user_id: int) -> Response:
        membership = _membership(request, workspace_id)
        require_may(membership, "workspace.manage_members", CHANGE_ROLE_REFUSAL)  # before the input
        member = member_in(membership.workspace, user_id)
        payload = MemberRoleInput(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        if "role" in payload.validated_data:
            member = member_change_role(membership=membership, member=member, role=payload.validated_data["role"])
        return Response(MemberOutput(member).data)

    @extend_schema(
        parameters=[_WORKSPACE_ID, _USER_ID],
        responses={204: None, **error_responses(403, 404, 409)},
        summary="Remove a member, or leave",
        description=f"{_SESSION} Admins remove members (only the owner removes an admin; nobody removes the "
        "owner); any member but the owner may remove themselves (leave) from a team workspace. Everything they "
        "made stays in the workspace.",
    )
    def delete(self, request: Request, workspace_id: int, user_id: int) -> Response:
        membership = _membership(request, workspace_id)
        membership_remove(membership=membership, member=member_in(membership.workspace, user_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- invitations ---------------------------------------------------------------------------------


def _admin_membership(request: Request, workspace_id: int) -> Membership:
    membership = _membership(request, workspace_id)
    require_may(membership, "workspace.invitations", "Only admins of this workspace can see its invitations.")
    return membership


class InvitationListApi(APIView):
    workspace_actions = ROLES_CHECKED_HERE
    path_workspace_actions = {"GET": "workspace.invitations", "POST": "workspace.manage_members"}

    @extend_schema(
        parameters=[_WORKSPACE_ID],
        responses={200: InvitationOutput(many=True), **error_responses(403, 404)},
        summary="Invitations of a workspace",
        description="Admins and the owner: every invitation, newest first, with its state.",
    )
    def get(self, request: Request, workspace_id: int) -> Response:
        membership = _admin_membership(request, workspace_id)
        return Response(InvitationOutput(invitations_of(membership.workspace), many=True).data)

    @extend_schema(
        parameters=[_WORKSPACE_ID],
        request=InvitationInput,
        responses={201: InvitationOutput, **error_responses(400, 403, 404, 409, 503)},
        summary="Invite someone by e-mail",
        description=f"{_SESSION} Admins and the owner of a team workspace. The link is mailed to the address, works "
        f"for {INVITATION_DAYS} days and is accepted on the site by an account with that address (a new one may be "
        "made from it). 409 when the address is a member (`already_member`) or invited (`already_invited`: resend "
        "that one), when members and pending invitations fill the seats (`no_free_seat`), or for a personal "
        "workspace. Limited per account (429). 503 `mail_not_sent`: saved, but not mailed; resend it.",
    )
    def post(self, request: Request, workspace_id: int) -> Response:
        membership = _membership(request, workspace_id)
        require_may(membership, "workspace.manage_members", INVITE_REFUSAL)  # before the input
        payload = InvitationInput(data=request.data)
        payload.is_valid(raise_exception=True)
        invitation = invitation_create(membership=membership, **payload.validated_data)
        return Response(InvitationOutput(invitation).data, status=status.HTTP_201_CREATED)


# The one handler of every change to one invitation: the service is the class's `change`.
class _InvitationChangeApi(APIView):
    workspace_actions = ROLES_CHECKED_HERE
    path_workspace_actions = {"POST": "workspace.manage_members"}
    change: ClassVar[staticmethod[..., Invitation]]

    @extend_schema(parameters=[_WORKSPACE_ID, _INVITATION_ID], request=None)
    def post(self, request: Request, workspace_id: int, invitation_id: int) -> Response:
        membership = _membership(request, workspace_id)
        invitation = invitation_in(membership.workspace, invitation_id)
        return Response(InvitationOutput(type(self).change(membership=membership, invitation=invitation)).data)


@extend_schema_view(
    post=extend_schema(
        responses={200: InvitationOutput, **error_responses(403, 404, 409)},
        summary="Revoke an invitation",
        description=f"{_SESSION} Admins and the owner. Its link stops working at once and its seat is free; "
        "revoking again changes nothing; an accepted one is 409.",
    )
)
class InvitationRevokeApi(_InvitationChangeApi):
    change = staticmethod(invitation_revoke)


@extend_schema_view(
    post=extend_schema(
        responses={200: InvitationOutput, **error_responses(403, 404, 409, 503)},
        summary="Send an invitation again",
        description=f"{_SESSION} Admins and the owner. Mails a new link, good for another {INVITATION_DAYS} days; "
        "the link sent before stops working. 409 for an accepted or revoked one, or an expired one when no seat "
        "is free. Limited per account (429).",
    )
)
class InvitationResendApi(_InvitationChangeApi):
    change = staticmethod(invitation_resend)
