"""`/api/v1/`: every operation, at its path without a trailing slash (`sage.api.views` answers the
slashed form of each, and a JSON 404 for anything else)."""

from django.urls import path, re_path

from accounts import api as accounts_api
from activity import api as activity_api
from billing import api as billing_api
from chat import api as chat_api
from notes import api as notes_api
from review_sessions import api as sessions_api
from reviews import api as reviews_api
from reviews import approvals_api, comments_api, stills_api
from videos.api import changes as changes_api
from videos.api import comparison_markers as comparison_markers_api
from videos.api import comparisons as comparisons_api
from videos.api import recuts as recuts_api
from videos.api import screen_text as screen_text_api
from videos.api import transcripts as transcripts_api
from videos.api import uploads as uploads_api
from videos.api import videos as videos_api
from videos.projects import api as projects_api
from videos.versions import api as versions_api
from workspaces import api as workspaces_api

urlpatterns = [
    path("me", accounts_api.MeApi.as_view(), name="api-me"),
    path("tokens", accounts_api.TokenListApi.as_view(), name="api-tokens"),
    path("tokens/current", accounts_api.TokenCurrentApi.as_view(), name="api-token-current"),
    path("tokens/<int:token_id>", accounts_api.TokenDetailApi.as_view(), name="api-token-detail"),
    path("extension/connect", accounts_api.ExtensionConnectApi.as_view(), name="api-extension-connect"),
    path("workspaces", workspaces_api.WorkspaceListApi.as_view(), name="api-workspaces"),
    path("workspaces/<int:workspace_id>", workspaces_api.WorkspaceDetailApi.as_view(), name="api-workspace-detail"),
    path(
        "workspaces/<int:workspace_id>/transfer",
        workspaces_api.WorkspaceTransferApi.as_view(),
        name="api-workspace-transfer",
    ),
    path("workspaces/<int:workspace_id>/members", workspaces_api.MemberListApi.as_view(), name="api-workspace-members"),
    path(
        "workspaces/<int:workspace_id>/members/<int:user_id>",
        workspaces_api.MemberDetailApi.as_view(),
        name="api-workspace-member-detail",
    ),
    path(
        "workspaces/<int:workspace_id>/invitations",
        workspaces_api.InvitationListApi.as_view(),
        name="api-workspace-invitations",
    ),
    path(
        "workspaces/<int:workspace_id>/invitations/<int:invitation_id>/revoke",
        workspaces_api.InvitationRevokeApi.as_view(),
        name="api-workspace-invitation-revoke",
    ),
    path(
        "workspaces/<int:workspace_id>/invitations/<int:invitation_id>/resend",
        workspaces_api.InvitationResendApi.as_view(),
        name="api-workspace-invitation-resend",
    ),
    path("activity", activity_api.ActivityApi.as_view(), name="api-activity"),
    path("audit", activity_api.AuditApi.as_view(), name="api-audit"),
    path("billing", billing_api.BillingApi.as_view(), name="api-billing"),
    path("billing/ledger", billing_api.LedgerApi.as_view(), name="api-billing-ledger"),
    path("billing/usage", billing_api.UsageApi.as_view(), name="api-billing-usage"),
    path("prices", billing_api.PricesApi.as_view(), name="api-prices"),
    path("videos", videos_api.VideoListApi.as_view(), name="api-videos"),
    path("videos/youtube", videos_api.VideoYouTubeApi.as_view(), name="api-videos-youtube"),
    path("videos/<int:video_id>", videos_api.VideoDetailApi.as_view(), name="api-video-detail"),
    path("videos/<int:video_id>/cancel", videos_api.VideoCancelApi.as_view(), name="api-video-cancel"),
    path("videos/<int:video_id>/move", projects_api.VideoMoveApi.as_view(), name="api-video-move"),
    path("videos/<int:video_id>/retry", videos_api.VideoRetryApi.as_view(), name="api-video-retry"),
    path("videos/<int:video_id>/transcript", transcripts_api.TranscriptApi.as_view(), name="api-video-transcript"),
    path("videos/<int:video_id>/subtitles", transcripts_api.SubtitlesApi.as_view(), name="api-video-subtitles"),
    path("videos/<int:video_id>/screen-text", screen_text_api.ScreenTextApi.as_view(), name="api-video-screen-text"),
    re_path(
        r"^videos/(?P<video_id>[0-9]+)/transcript\.(?P<file_type>txt|vtt)$",
        screen_text_api.TranscriptFileApi.as_view(),
        name="api-video-transcript-file",
    ),
    path("search", transcripts_api.SearchApi.as_view(), name="api-search"),
    path("comparisons", comparisons_api.ComparisonListApi.as_view(), name="api-comparisons"),
    path(
        "comparisons/<int:comparison_id>", comparisons_api.ComparisonDetailApi.as_view(), name="api-comparison-detail"
    ),
    path(
        "comparisons/<int:comparison_id>/compare-again",
        comparisons_api.ComparisonCompareAgainApi.as_view(),
        name="api-comparison-compare-again",
    ),
    re_path(
        r"^comparisons/(?P<comparison_id>[0-9]+)/export\.(?P<file_type>json|csv)$",
        comparisons_api.ComparisonExportApi.as_view(),
        name="api-comparison-export",
    ),
    re_path(
        r"^comparisons/(?P<comparison_id>[0-9]+)/markers\.(?P<file_type>csv|edl|fcpxml|xml|txt|otio)$",
        comparison_markers_api.ComparisonMarkersApi.as_view(),
        name="api-comparison-markers",
    ),
    path("comparisons/<int:comparison_id>/changes", changes_api.ChangeListApi.as_view(), name="api-comparison-changes"),
    re_path(
        r"^comparisons/(?P<comparison_id>[0-9]+)/changes\.(?P<file_type>edl|csv|otio|aaf)$",
        changes_api.ChangeFileApi.as_view(),
        name="api-comparison-change-file",
    ),
    path(
        "comparisons/<int:comparison_id>/share-links",
        reviews_api.ComparisonShareLinksApi.as_view(),
        name="api-comparison-share-links",
    ),
    path("videos/<int:video_id>/share-links", reviews_api.VideoShareLinksApi.as_view(), name="api-video-share-links"),
    path("stacks", versions_api.StackListApi.as_view(), name="api-stacks"),
    path("stacks/<int:stack_id>", versions_api.StackDetailApi.as_view(), name="api-stack-detail"),
    path("stacks/<int:stack_id>/move", projects_api.StackMoveApi.as_view(), name="api-stack-move"),
    path("projects", projects_api.ProjectListApi.as_view(), name="api-projects"),
    path("projects/<int:project_id>", projects_api.ProjectDetailApi.as_view(), name="api-project-detail"),
    path("projects/<int:project_id>/restore", projects_api.ProjectRestoreApi.as_view(), name="api-project-restore"),
    path(
        "projects/<int:project_id>/share-links",
        reviews_api.ProjectShareLinksApi.as_view(),
        name="api-project-share-links",
    ),
    path("comparisons/<int:comparison_id>/recuts", recuts_api.RecutListApi.as_view(), name="api-comparison-recuts"),
    path("recuts/<int:recut_id>", recuts_api.RecutDetailApi.as_view(), name="api-recut-detail"),
    path("recuts/<int:recut_id>/file", recuts_api.RecutFileApi.as_view(), name="api-recut-file"),
    path("comparisons/<int:comparison_id>/move", projects_api.ComparisonMoveApi.as_view(), name="api-comparison-move"),
    path("stacks/<int:stack_id>/share-links", reviews_api.StackShareLinksApi.as_view(), name="api-stack-share-links"),
    path("share-links/<int:link_id>", reviews_api.ShareLinkDetailApi.as_view(), name="api-share-link-detail"),
    path("share-links/<int:link_id>/revoke", reviews_api.ShareLinkRevokeApi.as_view(), name="api-share-link-revoke"),
    path("share-links/<int:link_id>/rotate", reviews_api.ShareLinkRotateApi.as_view(), name="api-share-link-rotate"),
    path(
        "videos/<int:video_id>/review-status",
        approvals_api.VideoReviewStatusApi.as_view(),
        name="api-video-review-status",
    ),
    path(
        "comparisons/<int:comparison_id>/review-status",
        approvals_api.ComparisonReviewStatusApi.as_view(),
        name="api-comparison-review-status",
    ),
    path(
        "shared/<str:token>/review-status",
        approvals_api.SharedReviewStatusApi.as_view(),
        name="api-shared-review-status",
    ),
    path("shared/<str:token>/comments", comments_api.SharedCommentsApi.as_view(), name="api-shared-comments"),
    path("shared/<str:token>/sessions", sessions_api.SharedSessionsApi.as_view(), name="api-shared-sessions"),
    path(
        "shared/<str:token>/sessions/<str:code>",
        sessions_api.SharedSessionDetailApi.as_view(),
        name="api-shared-session-detail",
    ),
    path(
        "shared/<str:token>/sessions/<str:code>/end",
        sessions_api.SharedSessionEndApi.as_view(),
        name="api-shared-session-end",
    ),
    path("sessions", sessions_api.SessionsApi.as_view(), name="api-sessions"),
    path("sessions/<str:code>", sessions_api.SessionDetailApi.as_view(), name="api-session-detail"),
    path(
        "sessions/<str:code>/participants",
        sessions_api.SessionParticipantsApi.as_view(),
        name="api-session-participants",
    ),
    path("sessions/<str:code>/handover", sessions_api.SessionHandoverApi.as_view(), name="api-session-handover"),
    path("sessions/<str:code>/end", sessions_api.SessionEndApi.as_view(), name="api-session-end"),
    path(
        "shared/<str:token>/comments/<int:comment_id>",
        comments_api.SharedCommentDetailApi.as_view(),
        name="api-shared-comment-detail",
    ),
    path(
        "comparisons/<int:comparison_id>/comments",
        comments_api.ComparisonCommentsApi.as_view(),
        name="api-comparison-comments",
    ),
    path("videos/<int:video_id>/comments", comments_api.VideoCommentsApi.as_view(), name="api-video-comments"),
    path("stacks/<int:stack_id>/comments", comments_api.StackCommentsApi.as_view(), name="api-stack-comments"),
    path("comments/<int:comment_id>", comments_api.CommentDetailApi.as_view(), name="api-comment-detail"),
    path("comments/<int:comment_id>/still.png", stills_api.CommentStillApi.as_view(), name="api-comment-still"),
    path(
        "shared/<str:token>/comments/<int:comment_id>/still.png",
        stills_api.SharedCommentStillApi.as_view(),
        name="api-shared-comment-still",
    ),
    path("comments/<int:comment_id>/replies", comments_api.CommentRepliesApi.as_view(), name="api-comment-replies"),
    path("comments/<int:comment_id>/resolve", comments_api.CommentResolveApi.as_view(), name="api-comment-resolve"),
    path("comments/<int:comment_id>/reopen", comments_api.CommentReopenApi.as_view(), name="api-comment-reopen"),
    re_path(r"^videos/(?P<ref>.+)/notes$", notes_api.VideoNotesApi.as_view(), name="api-video-notes"),
    re_path(
        r"^videos/(?P<ref>.+)/notes/export\.(?P<file_type>md|json)$",
        notes_api.VideoNotesExportApi.as_view(),
        name="api-video-notes-export",
    ),
    path("notes", notes_api.NoteListApi.as_view(), name="api-notes"),
    re_path(r"^notes/export\.(?P<file_type>md|json)$", notes_api.NotesExportApi.as_view(), name="api-notes-export"),
    path("notes/<int:note_id>", notes_api.NoteDetailApi.as_view(), name="api-note-detail"),
    path("conversations", chat_api.ConversationListApi.as_view(), name="api-conversations"),
    path(
        "conversations/<int:conversation_id>", chat_api.ConversationDetailApi.as_view(), name="api-conversation-detail"
    ),
    path(
        "conversations/<int:conversation_id>/restore",
        chat_api.ConversationRestoreApi.as_view(),
        name="api-conversation-restore",
    ),
    path(
        "conversations/<int:conversation_id>/messages",
        chat_api.MessageListApi.as_view(),
        name="api-conversation-messages",
    ),
    path("messages/search", chat_api.MessageSearchApi.as_view(), name="api-messages-search"),
    path("uploads", uploads_api.UploadListApi.as_view(), name="api-uploads"),
    path("uploads/<uuid:upload_id>", uploads_api.UploadDetailApi.as_view(), name="api-upload-detail"),
    path("uploads/<uuid:upload_id>/parts/<int:number>", uploads_api.UploadPartApi.as_view(), name="api-upload-part"),
    path(
        "uploads/<uuid:upload_id>/parts/<int:number>/url",
        uploads_api.UploadPartUrlApi.as_view(),
        name="api-upload-part-url",
    ),
    path("uploads/<uuid:upload_id>/complete", uploads_api.UploadCompleteApi.as_view(), name="api-upload-complete"),
]
