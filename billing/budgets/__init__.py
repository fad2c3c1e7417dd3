"""Budgets: monthly limits with alerts and an optional hard cap, and spend (month-to-date, forecast)."""
