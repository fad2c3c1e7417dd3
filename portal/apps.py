from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Kontor portal"

    def ready(self) -> None:
        from portal import checks, deploy_checks  # noqa: F401  # checks register themselves
        from portal import logging as kontor_logging
        from portal.telemetry import telemetry_configure

        kontor_logging.configure()
        telemetry_configure()  # traces and error reports: off unless KONTOR_OTEL_ENDPOINT / KONTOR_SENTRY_DSN


class KontorAdminConfig(AdminConfig):
    default_site = "portal.admin_site.KontorAdminSite"
