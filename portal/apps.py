from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Kontor portal"

    def ready(self) -> None:
        from portal import checks, deploy_checks  # noqa: F401  # checks register themselves
        from portal import logging as kontor_logging

        kontor_logging.configure()


class KontorAdminConfig(AdminConfig):
    default_site = "portal.admin_site.KontorAdminSite"
