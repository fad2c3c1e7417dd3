from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReservationsConfig(AppConfig):
    name = "reservations"
    verbose_name = _("Reservations and capacity")

    def ready(self) -> None:
        from reservations import notifications  # noqa: F401  # subscribes the e-mail consumer of domain events
