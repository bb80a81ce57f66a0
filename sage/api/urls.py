"""`/api/v1/`: later apps add their routes here."""

from django.urls import path

from accounts import api as accounts_api
from billing import api as billing_api

urlpatterns = [
    path("me", accounts_api.MeApi.as_view(), name="api-me"),
    path("tokens", accounts_api.TokenListApi.as_view(), name="api-tokens"),
    path("tokens/<int:token_id>", accounts_api.TokenDetailApi.as_view(), name="api-token-detail"),
    path("billing/", billing_api.BillingApi.as_view(), name="api-billing"),
    path("billing/ledger/", billing_api.LedgerApi.as_view(), name="api-billing-ledger"),
]
