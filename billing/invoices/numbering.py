"""Gapless document numbers: ``KON-<year>-<six-digit sequence>``, one series per calendar year (Europe/Berlin)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from billing.models import InvoiceNumberSeries


class NumberingOutsideTransactionError(RuntimeError):
    """A number must be drawn in the transaction that finalizes the document, or a rollback would leave a gap."""


@dataclass(frozen=True)
class DocumentNumber:
    year: int
    sequence: int

    @property
    def text(self) -> str:
        return f"KON-{self.year}-{self.sequence:06d}"


def document_number_next(*, year: int) -> DocumentNumber:
    """Lock the year's series row (creating it under the lock if needed) and take the next sequence.

    The lock is held until the caller's transaction ends, so concurrent finalizations queue here and receive
    consecutive numbers; a rollback undoes the increment with everything else.
    """
    return document_numbers_next(year=year, count=1)[0]


def document_numbers_next(*, year: int, count: int) -> list[DocumentNumber]:
    """Take the next ``count`` consecutive sequences of the year in one locked step (``document_number_next`` for
    a batch): the caller numbers exactly ``count`` documents that this transaction finalizes, so a commit leaves no
    gap and a rollback returns the whole block."""
    if not transaction.get_connection().in_atomic_block:
        raise NumberingOutsideTransactionError("document_number_next() must run inside transaction.atomic().")
    if count < 1:
        raise ValueError("Take at least one number.")
    series, _created = InvoiceNumberSeries.objects.select_for_update().get_or_create(year=year)
    first = series.last_sequence + 1
    series.last_sequence += count
    series.save(update_fields=["last_sequence"])
    return [DocumentNumber(year=year, sequence=sequence) for sequence in range(first, series.last_sequence + 1)]
