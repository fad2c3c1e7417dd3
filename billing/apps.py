from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from billing.budgets.selectors import budget_order_guard
        from reservations.guards import register_order_guard

        register_order_guard(budget_order_guard)  # the hard cap refuses orders under the organization's lock
