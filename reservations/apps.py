from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReservationsConfig(AppConfig):
    name = "reservations"
    verbose_name = _("Reservations and capacity")

    def ready(self) -> None:
        from reservations import (  # noqa: F401  # subscribe to domain events
            lifecycle,  # a closed organization's reservations end
            notifications,  # the e-mail consumer
        )
