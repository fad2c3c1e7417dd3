"""Monthly budgets of organizations and the alerts sent about them (imported at the end of ``billing.models``)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.money import format_money
from tenants.models import Organization
from tenants.scoping import TenantOwnedModel

BUDGET_THRESHOLDS = (50, 80, 100)  # percent of the monthly limit at which an alert goes out


class Budget(TenantOwnedModel):
    """An organization's monthly spending limit in EUR, net of VAT, for each Berlin calendar month.

    Invariants: at most one per organization; ``monthly_limit`` is positive (check constraint); written only by
    ``billing.budgets.services.budget_set`` (audited). With ``hard_cap`` on, new reservations whose cost this month
    would take the month-to-date spend past the limit are refused (``billing.budgets.selectors.budget_refusal``).
    """

    organization = models.OneToOneField(Organization, on_delete=models.PROTECT, related_name="+")
    monthly_limit = models.DecimalField(_("monthly limit (EUR, net)"), max_digits=14, decimal_places=2)
    hard_cap = models.BooleanField(_("refuse orders beyond the limit"), default=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        constraints = [
            models.CheckConstraint(condition=Q(monthly_limit__gt=0), name="billing_budget_limit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}: {format_money(self.monthly_limit)}"


class BudgetAlert(TenantOwnedModel):
    """One alert that month-to-date spend reached ``threshold`` percent of the budget in ``month``.

    Invariants: ``month`` is the first day of a Berlin calendar month; ``threshold`` is 50, 80 or 100 (check
    constraint); unique per (organization, month, threshold), so each alert is written, e-mailed and published
    once, however often and concurrently ``budget_check`` runs.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month (first day, Europe/Berlin)"))
    threshold = models.PositiveSmallIntegerField(_("threshold (%)"))
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("budget alert")
        verbose_name_plural = _("budget alerts")
        ordering = ["month", "threshold"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "month", "threshold"], name="billing_budget_alert_once"),
            models.CheckConstraint(condition=Q(threshold__in=BUDGET_THRESHOLDS), name="billing_budget_alert_threshold"),
            models.CheckConstraint(condition=Q(month__day=1), name="billing_budget_alert_first_of_month"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.month:%Y-%m}: {self.threshold} %"
