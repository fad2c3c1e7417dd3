from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = _("Customers and access")

    def ready(self) -> None:
        from tenants import receivers  # noqa: F401  # connects the signal receivers
        from tenants.api import schema  # noqa: F401  # registers the OpenAPI description of API keys
