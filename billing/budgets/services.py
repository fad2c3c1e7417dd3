"""Writes of budgets: setting an organization's budget, and the alerts at 50, 80 and 100 % of it.

An alert compares the figure the spend page shows the budget's share of (spent + committed,
``billing.budgets.selectors.spend_summary``) with the limit. It is a ``BudgetAlert`` row, unique per (organization,
Berlin month, threshold): the row is written first and only the run that inserted it e-mails the owners and billing
members and publishes ``budget.threshold_reached`` (``core.events``), after the commit. A second or concurrent run
finds the row and sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.budgets.models import BUDGET_THRESHOLDS, Budget, BudgetAlert
from billing.budgets.selectors import budget_share, current_period, spend_summary
from core.events import publish
from tenants.audit import Actor, audit_record
from tenants.choices import Role
from tenants.models import Organization, User
from tenants.notifications import send_to_user

BUDGET_THRESHOLD_EVENT = "budget.threshold_reached"
MAX_LIMIT = Decimal("999999999999.99")


def budget_set(*, actor: Actor, organization: Organization, monthly_limit: Decimal, hard_cap: bool) -> Budget:
    """Create or change the organization's monthly budget (net EUR). Audited."""
    if not Decimal("0.01") <= monthly_limit <= MAX_LIMIT or monthly_limit != monthly_limit.quantize(Decimal("0.01")):
        raise ValidationError(
            {"monthly_limit": [_("The budget must be a positive amount in euros and cents.")]}, code="invalid"
        )
    with transaction.atomic():
        budget, created = (
            Budget.objects.for_organization(organization)
            .select_for_update()
            .update_or_create(
                organization=organization,
                defaults={"monthly_limit": monthly_limit, "hard_cap": hard_cap, "updated_at": timezone.now()},
            )
        )
        audit_record(
            actor=actor,
            action="budget.created" if created else "budget.updated",
            target=budget,
            organization=organization,
            data={"monthly_limit": str(monthly_limit), "hard_cap": hard_cap},
        )
    return budget


def _recipients(organization: Organization) -> list[User]:
    return list(
        User.objects.filter(
            memberships__organization=organization,
            memberships__role__in=[Role.OWNER, Role.BILLING],
            is_active=True,
        )
        .distinct()
        .order_by("pk")
    )


@dataclass(frozen=True)
class BudgetCheck:
    spent: Decimal
    share: Decimal  # percent of the limit, exact
    sent: list[int]  # thresholds alerted by this run


def budget_check(*, organization: Organization, now: datetime | None = None) -> BudgetCheck | None:
    """Alert once per month and threshold that spent + committed (``Spend.spent_or_committed``) reached 50, 80 or
    100 % of the budget."""
    now = now or timezone.now()
    budget = Budget.objects.for_organization(organization).first()
    if budget is None:
        return None
    period = current_period(now)
    month = period.start.date()
    # The same figure the spend page shows the budget's share of: spent so far plus reserved hours still to come.
    spent = spend_summary(organization=organization, now=now).spent_or_committed
    share = budget_share(budget=budget, amount=spent)
    sent: list[int] = []
    with transaction.atomic():
        for threshold in BUDGET_THRESHOLDS:
            if share < threshold:
                break
            _alert, created = BudgetAlert.objects.for_organization(organization).get_or_create(
                organization=organization, month=month, threshold=threshold, defaults={"sent_at": now}
            )
            if not created:
                continue
            sent.append(threshold)
            context = {
                "organization": organization,
                "threshold": threshold,
                "spent": spent,
                "limit": budget.monthly_limit,
                "hard_cap": budget.hard_cap,
                "month": month,
            }
            for user in _recipients(organization):
                send_to_user(user, "budget_alert", context)
            publish(
                BUDGET_THRESHOLD_EVENT,
                organization_id=organization.pk,
                data={
                    "month": f"{month:%Y-%m}",
                    "threshold": str(threshold),
                    "spent": str(spent),
                    "limit": str(budget.monthly_limit),
                },
            )
    return BudgetCheck(spent=spent, share=share, sent=sent)


@dataclass(frozen=True)
class BudgetsCheckResult:
    organizations: int
    alerts: int


def budgets_check_all(*, now: datetime) -> BudgetsCheckResult:
    """Check every organization that has a budget (a system task: reads across tenants)."""
    organization_ids = list(
        Budget.objects.unscoped().order_by("organization_id").values_list("organization_id", flat=True)
    )
    alerts = 0
    for organization in Organization.objects.filter(pk__in=organization_ids).order_by("pk"):
        result = budget_check(organization=organization, now=now)
        alerts += len(result.sent) if result is not None else 0
    return BudgetsCheckResult(organizations=len(organization_ids), alerts=alerts)
