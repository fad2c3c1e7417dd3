from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = _("Enterprise identity")

    def ready(self) -> None:
        from identity import receivers  # noqa: F401  # connects the signal receivers
