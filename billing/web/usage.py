"""The portal's usage page: this month's GPU-hours per day and flavor, used (metered, past) and committed (reserved
windows still to come), as the spend page's chart and a table with totals per flavor."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from billing.budgets.selectors import daily_gpu_hours_by_flavor, spend_summary
from billing.web.spend import spend_chart
from metering.selectors import gpu_hours_per_flavor
from tenants.permissions import Action
from tenants.web.access import OrganizationAccess, organization_view


@require_GET
@organization_view(Action.BILLING_VIEW)
def usage(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    organization = access.organization
    summary = spend_summary(organization=organization, now=timezone.now())
    days = daily_gpu_hours_by_flavor(organization=organization, summary=summary)
    return render(
        request,
        "billing/usage.html",
        {
            "organization": organization,
            "month": summary.period.start.date(),
            "chart": spend_chart(days),
            "usage_rows": days,
            "flavor_totals": gpu_hours_per_flavor(days),
        },
    )
