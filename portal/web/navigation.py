"""The portal's main navigation, built in one place: the links the signed-in member's role may open (the role →
action table of ``tenants.permissions``, the same the pages check), and which of them is the current page.

The current page is the link whose URL is the longest prefix of the request's path, so a reservation's page marks
"Reservations" and an invoice's download marks "Invoices" (``aria-current="page"`` in the template).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tenants.models import User
from tenants.permissions import Action
from tenants.web.context_processors import organizations


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url: str
    current: bool = False


# (label, URL name, action the member's role needs; None: every member)
ORGANIZATION_LINKS: tuple[tuple[Promise, str, Action | None], ...] = (
    (_("Reservations"), "portal:reservation-list", Action.RESERVATIONS_VIEW),
    (_("Invoices"), "portal:invoice-list", Action.BILLING_VIEW),
    (_("Spend"), "portal:organization-spend", Action.BILLING_VIEW),
    (_("Usage"), "portal:organization-usage", Action.BILLING_VIEW),
    (_("Billing profile"), "portal:billing-profile", Action.BILLING_MANAGE),
    (_("Cloud access"), "portal:cloud-access", Action.CLOUD_VIEW),
    (_("Team"), "portal:members", None),
    (_("API keys"), "portal:api-keys", Action.API_KEYS_MANAGE),
    (_("Sign-in"), "identity:sign-in-settings", Action.ORGANIZATION_CLOSE),  # owners only
    (_("Webhooks"), "portal:webhook-endpoints", Action.WEBHOOKS_VIEW),
)


def navigation_items(request: HttpRequest) -> list[NavItem]:
    """The main navigation's links for this request, the current one marked."""
    items: list[tuple[str | Promise, str]] = []
    user = getattr(request, "user", None)
    if isinstance(user, User):
        items.append((_("Dashboard"), reverse("portal:dashboard")))
        context = organizations(request)
        organization = context["current_organization"]
        if organization is not None:
            allowed = context["current_organization_actions"]
            items += [
                (label, reverse(name, args=[organization.slug]))
                for label, name, action in ORGANIZATION_LINKS
                if action is None or action.value in allowed
            ]
        items.append((_("Capacity"), reverse("portal:capacity")))
    items += [
        (_("Catalog"), reverse("catalog:item-list")),
        (_("Prices"), reverse("catalog:price-list")),
        (_("API"), reverse("api-docs")),
    ]
    matching = [url for _label, url in items if request.path.startswith(url)]
    current = max(matching, key=len, default=None)
    return [NavItem(label, url, url == current) for label, url in items]


def main_navigation(request: HttpRequest) -> dict[str, Any]:
    """Context processor: ``main_navigation``, a list of ``NavItem``."""
    return {"main_navigation": navigation_items(request)}
