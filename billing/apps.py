from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from billing.budgets.selectors import budget_order_guard, budget_order_guard_read
        from reservations.guards import register_order_guard

        # The hard cap refuses orders under the organization's lock; its read travels with the lock.
        register_order_guard(budget_order_guard, read=budget_order_guard_read)
