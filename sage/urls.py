from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from activity import views as activity_views
from review_sessions import views as session_views
from sage import views
from sage.api.views import api_fallback
from videos import views as video_views
from workspaces.doors import outside_workspaces
from workspaces.switcher import switch_workspace

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("healthz/live", views.healthz_live, name="healthz-live"),
    path("healthz/ready", views.healthz_ready, name="healthz-ready"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("settings/", include("accounts.urls")),
    # Billing's pages decide by the workspace's role themselves (billing.selectors).
    path("billing/", outside_workspaces(include("billing.urls"))),
    path("videos/", include("videos.urls")),
    path("notes/", include("notes.urls")),
    path("compare/", include("videos.compare.urls")),
    path("chat/", include("chat.urls")),
    path("sharing/", include("reviews.urls")),
    path("workspaces/", include("workspaces.urls")),
    # A link's session page sits beside the link's own pages (before them: `<token>/` would not match it).
    path("s/<str:token>/sessions/<str:code>/", session_views.shared_session_page, name="shared-session-page"),
    path("s/", include("reviews.shared_urls")),
    path("sessions/", include("review_sessions.page_urls")),
    path("activity/", include("activity.urls")),
    path("workspaces/audit/", activity_views.audit_page, name="workspace-audit"),
    path("search/", video_views.search_page, name="search"),
    path("workspace/switch/", switch_workspace, name="workspace-switch"),
    # Sign-in and the operators' admin: an account's own pages and operators', no workspace's work.
    path("accounts/", outside_workspaces(include("allauth.urls"))),
    path("admin/", outside_workspaces(admin.site.urls)),
    path("api/v1/", include("sage.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    # Last: any other path under /api/ (the other slash form of an operation, or a JSON 404).
    re_path(r"^api(?:/[\s\S]*)?$", api_fallback),
]

handler400 = "sage.views.bad_request"
handler403 = "sage.views.permission_denied"
handler404 = "sage.views.not_found"
handler500 = "sage.views.server_error"
