"""The operator console: the Django admin at /ops/, titled and ordered for cloud operators."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

# The order an operator works in: who the customers are, what is sold, what runs, what is billed.
APP_ORDER = ["tenants", "catalog", "reservations", "provisioning", "metering", "billing", "auth"]


class KontorAdminSite(admin.AdminSite):
    site_header = _("Kontor operations")
    site_title = _("Kontor operations")
    index_title = _("Operator console")
    enable_nav_sidebar = True

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[Any]:
        apps = super().get_app_list(request, app_label)
        rank = {label: index for index, label in enumerate(APP_ORDER)}
        return sorted(apps, key=lambda app: (rank.get(app["app_label"], len(APP_ORDER)), app["name"]))
