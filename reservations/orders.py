"""The customer's purchase-order reference on an order: what it may look like.

EN 16931 gives identifiers such as BT-13 (purchase order reference) no length of their own; Kontor keeps them to
35 characters, the document number of a UN/EDIFACT ORDERS message (data element 1004, an..35) that the buyers'
purchasing systems issue and their accounts-payable systems match on. Printable characters only: the reference is
printed on the invoice and written into its XML.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

PURCHASE_ORDER_REFERENCE_MAX_LENGTH = 35


def purchase_order_reference_clean(value: str) -> str:
    """The reference without surrounding blanks; ``ValidationError`` for one too long or with control characters."""
    value = value.strip()
    if len(value) > PURCHASE_ORDER_REFERENCE_MAX_LENGTH:
        raise ValidationError(
            _("The purchase order reference has %(length)d characters; at most %(limit)d are allowed."),
            code="purchase_order_reference_too_long",
            params={"length": len(value), "limit": PURCHASE_ORDER_REFERENCE_MAX_LENGTH},
        )
    if not value.isprintable():
        raise ValidationError(
            _("The purchase order reference may contain only printable characters (no line breaks or tabs)."),
            code="purchase_order_reference_invalid",
        )
    return value
