from tests.reservations.conftest import catalog, customer, make_quote, small_inventory

__all__ = ["catalog", "customer", "make_quote", "small_inventory"]
