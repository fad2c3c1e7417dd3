"""The operator console: the Django admin at /ops/, titled and ordered for cloud operators.

Operators sign in through the same allauth flow as customers (so password resets, rate limits and two-factor
authentication apply), and the console admits only staff whose current session passed a second factor.
"""

from __future__ import annotations

from typing import Any

from allauth.account.authentication import get_authentication_records
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.ops.dashboard import dashboard_build

# The order an operator works in: who the customers are, what is sold, what runs, what is billed.
APP_ORDER = ["tenants", "catalog", "reservations", "provisioning", "metering", "billing", "mfa", "auth"]


def session_passed_mfa(request: HttpRequest) -> bool:
    user = request.user if request.user.is_authenticated else None
    return any(record.get("method") == "mfa" for record in get_authentication_records(request, user))


class KontorAdminSite(admin.AdminSite):
    site_header = _("Kontor operations")
    site_title = _("Kontor operations")
    index_title = _("Operator console")
    enable_nav_sidebar = True

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and session_passed_mfa(request)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """Sign-in goes through allauth; staff without a second factor are sent to set one up."""
        user = request.user
        next_url = request.GET.get("next") or reverse("admin:index")
        if not user.is_authenticated:
            return redirect_to_login(next_url, reverse("account_login"))
        if not user.is_staff:
            return redirect("portal:dashboard")
        if not session_passed_mfa(request):
            return redirect("mfa_index")
        return redirect(next_url)

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        """The operator dashboard (``portal.ops.dashboard``), with the list of apps below it."""
        return super().index(request, {"dashboard": dashboard_build(now=timezone.now()), **(extra_context or {})})

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[Any]:
        apps = super().get_app_list(request, app_label)
        rank = {label: index for index, label in enumerate(APP_ORDER)}
        return sorted(apps, key=lambda app: (rank.get(app["app_label"], len(APP_ORDER)), app["name"]))
