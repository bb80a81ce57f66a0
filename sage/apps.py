from django.contrib.admin import apps as admin_apps


class SageAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with SAGE's own site (its titles). Not the config of the `sage` app
    itself: `default = False`, and the admin's config is imported as a module so that Django does
    not take it for `sage`'s."""

    default = False
    default_site = "sage.admin.SageAdminSite"
