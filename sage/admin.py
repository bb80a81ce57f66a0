"""The Django admin, titled SAGE (its config in sage/apps.py makes this the default site)."""

from __future__ import annotations

from django.contrib import admin


class SageAdminSite(admin.AdminSite):
    site_header = "SAGE administration"
    site_title = "SAGE admin"
    index_title = "Accounts, billing, videos, notes and chat"
