from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalog and prices")

    def ready(self) -> None:
        from catalog.caching import connect_receivers

        connect_receivers()
