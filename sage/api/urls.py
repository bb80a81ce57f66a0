"""`/api/v1/`: later apps add their routes here."""

from django.urls import path

from accounts import api as accounts_api
from billing import api as billing_api
from videos import api as videos_api

urlpatterns = [
    path("me", accounts_api.MeApi.as_view(), name="api-me"),
    path("tokens", accounts_api.TokenListApi.as_view(), name="api-tokens"),
    path("tokens/<int:token_id>", accounts_api.TokenDetailApi.as_view(), name="api-token-detail"),
    path("billing/", billing_api.BillingApi.as_view(), name="api-billing"),
    path("billing/ledger/", billing_api.LedgerApi.as_view(), name="api-billing-ledger"),
    path("uploads", videos_api.UploadListApi.as_view(), name="api-uploads"),
    path("uploads/<uuid:upload_id>", videos_api.UploadDetailApi.as_view(), name="api-upload-detail"),
    path("uploads/<uuid:upload_id>/parts/<int:number>", videos_api.UploadPartApi.as_view(), name="api-upload-part"),
    path(
        "uploads/<uuid:upload_id>/parts/<int:number>/url",
        videos_api.UploadPartUrlApi.as_view(),
        name="api-upload-part-url",
    ),
    path("uploads/<uuid:upload_id>/complete", videos_api.UploadCompleteApi.as_view(), name="api-upload-complete"),
]
