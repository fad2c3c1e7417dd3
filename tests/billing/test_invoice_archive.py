"""The invoice archive on S3: moto's S3 server on loopback, spoken to by boto3 over HTTP, with Object Lock."""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime

import pytest
import time_machine
from botocore.exceptions import ClientError
from django.core.files.base import ContentFile

from billing.archive import InvoiceArchiveConflictError, invoice_storage, retain_until
from billing.invoices.rendering import invoice_files_render
from billing.models import InvoiceFile
from billing.web.files import InvoiceFileCorruptError, invoice_file_response
from tests.billing.invoice_files import ISSUE_AT, finalized, seller_bank
from tests.billing.usage import reservation, usage
from tests.s3_server import REGION, s3_endpoint

pytestmark = pytest.mark.django_db
__all__ = ["reservation", "s3_endpoint", "seller_bank"]


@pytest.fixture
def bucket(s3_endpoint, settings) -> str:
    name = f"kontor-invoices-{uuid.uuid4().hex[:12]}"
    s3_endpoint.client().create_bucket(
        Bucket=name, ObjectLockEnabledForBucket=True, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    settings.STORAGES = {**settings.STORAGES, "invoices": s3_endpoint.storage_options(name)}
    return name


@pytest.fixture
def archived(reservation, customer, seller_bank, bucket):
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 7200, "2.5000")
    invoice = finalized(customer)
    with time_machine.travel(ISSUE_AT, tick=False):
        invoice_files_render(invoice_id=invoice.pk)
    return invoice


def test_issued_files_are_archived_once_with_their_sha256_and_locked_for_ten_years(
    archived, customer, bucket, s3_endpoint
):
    client = s3_endpoint.client()
    rows = {row.kind: row for row in InvoiceFile.objects.unscoped().filter(invoice=archived)}
    prefix = f"invoices/{customer.pk}/{archived.number}"

    listed = client.list_object_versions(Bucket=bucket)["Versions"]
    keys = {"pdf": f"{prefix}.pdf", "xml": f"{prefix}.xml", "xrechnung": f"{prefix}.xrechnung.xml"}
    assert sorted(version["Key"] for version in listed) == sorted(keys.values())
    assert sorted(rows) == sorted(keys)
    for kind, row in rows.items():
        key = keys[kind]
        assert row.file.name == key
        obj = client.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        body = obj["Body"].read()
        assert hashlib.sha256(body).hexdigest() == row.sha256
        assert obj["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()
        assert (
            obj["ContentType"]
            == {"pdf": "application/pdf", "xml": "application/xml", "xrechnung": "application/xml"}[kind]
        )
        # The lock as the store reports it on HEAD (moto's GetObjectRetention answers 500 in server mode).
        head = client.head_object(Bucket=bucket, Key=key)
        assert (head["ObjectLockMode"], head["ObjectLockRetainUntilDate"]) == (
            "COMPLIANCE",
            datetime(2037, 1, 1, tzinfo=UTC),
        )


def test_the_download_is_read_back_from_object_storage_and_checked(archived, bucket, s3_endpoint):
    row = InvoiceFile.objects.unscoped().get(invoice=archived, kind="pdf")
    stored = s3_endpoint.client().get_object(Bucket=bucket, Key=row.file.name)["Body"].read()

    response = invoice_file_response(row)

    assert response.content == stored
    assert response["Content-Type"] == "application/pdf"
    assert hashlib.sha256(response.content).hexdigest() == row.sha256


def test_an_archived_key_is_never_overwritten_not_even_by_a_racing_writer(archived, bucket, s3_endpoint):
    client = s3_endpoint.client()
    row = InvoiceFile.objects.unscoped().get(invoice=archived, kind="xml")
    original = client.get_object(Bucket=bucket, Key=row.file.name)["Body"].read()

    with pytest.raises(InvoiceArchiveConflictError, match="already archived"):
        invoice_storage.save(row.file.name, ContentFile(b"<forged/>"))
    # A writer that checked before the first one wrote: the store's conditional write refuses it.
    with pytest.raises(InvoiceArchiveConflictError, match="already archived"):
        invoice_storage._save(row.file.name, ContentFile(b"<forged/>"))

    assert [v["Key"] for v in client.list_object_versions(Bucket=bucket, Prefix=row.file.name)["Versions"]] == [
        row.file.name
    ]
    assert client.get_object(Bucket=bucket, Key=row.file.name)["Body"].read() == original


def test_a_locked_version_cannot_be_deleted_and_the_storage_refuses_to_try(archived, bucket, s3_endpoint):
    client = s3_endpoint.client()
    row = InvoiceFile.objects.unscoped().get(invoice=archived, kind="pdf")
    version = client.head_object(Bucket=bucket, Key=row.file.name)["VersionId"]

    with pytest.raises(ClientError) as refused:
        client.delete_object(Bucket=bucket, Key=row.file.name, VersionId=version)
    with pytest.raises(PermissionError, match="never deleted"):
        invoice_storage.delete(row.file.name)

    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert client.head_object(Bucket=bucket, Key=row.file.name)["VersionId"] == version


def test_bytes_changed_behind_the_archive_are_never_served(archived, bucket, s3_endpoint):
    row = InvoiceFile.objects.unscoped().get(invoice=archived, kind="xml")
    # Someone with raw bucket access puts a new version over the locked one (the lock keeps the old version).
    s3_endpoint.client().put_object(Bucket=bucket, Key=row.file.name, Body=b"<tampered/>")

    with pytest.raises(InvoiceFileCorruptError, match="do not match the recorded SHA-256"):
        invoice_file_response(row)


def test_retention_counts_from_the_end_of_the_german_calendar_year_of_issue():
    assert retain_until(issued=datetime(2026, 1, 1, 0, 0, tzinfo=UTC), years=10) == datetime(2037, 1, 1, tzinfo=UTC)
    # 23:30 UTC on 31 December is already the next year in Berlin.
    assert retain_until(issued=datetime(2026, 12, 31, 23, 30, tzinfo=UTC), years=8) == datetime(2036, 1, 1, tzinfo=UTC)
