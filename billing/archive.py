"""The invoice archive: issued PDFs and XMLs, written once, on S3-compatible object storage in production.

``STORAGES["invoices"]`` is this module's ``InvoiceArchiveStorage`` when ``KONTOR_INVOICE_BUCKET`` is set (the
cloud's object storage or Ceph RGW) and a ``FileSystemStorage`` under ``var/media/`` on the embedded default
(``check --deploy`` refuses that, kontor.E112). Every object is written with one conditional ``PutObject``:

- ``If-None-Match: *`` — the store refuses to replace an existing key, so two workers racing to archive the same
  document cannot overwrite each other, and neither can a bug (``InvoiceArchiveConflictError``);
- ``x-amz-checksum-sha256`` — the store verifies the bytes it received against the SHA-256 recorded on the
  ``InvoiceFile`` row;
- Object Lock in ``COMPLIANCE`` mode until the end of the retention period (§ 147 AO, § 14b UStG), counted from
  the end of the calendar year of issue, when ``KONTOR_INVOICE_RETENTION_YEARS`` is positive. The bucket must be
  created with Object Lock enabled; nobody, the operator's root account included, can delete a locked version.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from botocore.exceptions import ClientError
from django.core.files.base import File
from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone
from django.utils.functional import LazyObject, empty
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

INVOICE_STORAGE_ALIAS = "invoices"
BERLIN = ZoneInfo("Europe/Berlin")


class InvoiceArchiveConflictError(FileExistsError):
    """An archived document already exists under this key: it is never replaced."""


def retain_until(*, issued: datetime, years: int) -> datetime:
    """End of the retention period: ``years`` full calendar years after the end of the year of issue.

    The year is the German calendar year (Europe/Berlin), the end is given in UTC (one hour late at worst: longer
    is allowed, shorter is not).
    """
    return datetime(issued.astimezone(BERLIN).year + years + 1, 1, 1, tzinfo=UTC)


class InvoiceArchiveStorage(S3Storage):
    """S3 storage that writes each key exactly once, checksummed and (optionally) under Object Lock."""

    def __init__(self, *, retention_years: int = 0, **options: Any) -> None:
        self.retention_years = retention_years
        super().__init__(file_overwrite=True, querystring_auth=False, **options)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        # Never pick another name for an invoice: the name is the invoice number. The conditional write refuses
        # an existing key; this only saves a round trip in the common case.
        cleaned = clean_name(name)
        if self.exists(cleaned):
            raise InvoiceArchiveConflictError(f"{cleaned} is already archived; archived documents are never replaced")
        return cleaned

    def _save(self, name: str, content: File) -> str:
        cleaned = clean_name(name)
        key = self._normalize_name(cleaned)
        content.seek(0)
        data = content.read()
        if isinstance(data, str):
            data = data.encode()
        params = self._get_write_parameters(key, content)
        params["ChecksumAlgorithm"] = "SHA256"
        params["ChecksumSHA256"] = base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")
        if self.retention_years > 0:
            params["ObjectLockMode"] = "COMPLIANCE"
            params["ObjectLockRetainUntilDate"] = retain_until(issued=timezone.now(), years=self.retention_years)
        try:
            self.connection.meta.client.put_object(
                Bucket=self.bucket_name, Key=key, Body=data, IfNoneMatch="*", **params
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"PreconditionFailed", "ConditionalRequestConflict"}:
                raise InvoiceArchiveConflictError(
                    f"{cleaned} is already archived; archived documents are never replaced"
                ) from exc
            raise
        return cleaned

    def delete(self, name: str) -> None:
        raise PermissionError(f"{name}: archived invoices are never deleted (retention, § 147 AO)")


class _InvoiceStorage(LazyObject):
    def _setup(self) -> None:
        self._wrapped = storages[INVOICE_STORAGE_ALIAS]


invoice_storage = _InvoiceStorage()


def invoice_archive() -> Storage:
    """The storage of ``InvoiceFile.file`` (a callable, so migrations do not record the backend)."""
    return invoice_storage  # type: ignore[return-value]


@receiver(setting_changed)
def _reset_invoice_storage(*, setting: str, **kwargs: Any) -> None:
    # Django resets its own storages when a test overrides STORAGES; the archive follows.
    if setting == "STORAGES":
        invoice_storage._wrapped = empty  # type: ignore[assignment]  # LazyObject's sentinel
