"""The invoice e-mail: the organization's chosen e-invoice attached, sent once to its billing address by a task."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core import mail

from billing.documents.delivery import DeliveryError, invoice_email_send
from billing.documents.models import InvoiceDelivery
from billing.documents.terms import billing_profile_update
from billing.invoices.rendering import invoice_files_render
from billing.models import InvoiceFile
from billing.tasks import send_invoice_email_task
from tenants.mail import AttachmentMismatchError, email_send
from tenants.models import AuditEvent, Membership, Organization, OutgoingEmail, OutgoingEmailStatus
from tests.billing.invoice_files import finalized, seller_bank
from tests.billing.test_invoice_files import stored
from tests.billing.usage import ACTOR, reservation, usage
from tests.support.mail import flaky

pytestmark = pytest.mark.django_db
__all__ = ["reservation", "seller_bank"]


def send_outbox() -> None:
    """What the outbox task does after the commit: send the pending invoice e-mails."""
    pending = OutgoingEmail.objects.filter(status=OutgoingEmailStatus.PENDING, template="billing/invoice")
    for email_id in pending.values_list("pk", flat=True):
        email_send(email_id=email_id)


@pytest.fixture
def invoice(reservation, customer, seller_bank):
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 4 * 3600, "2.5000")
    return finalized(customer)


@pytest.mark.parametrize(
    ("chosen", "attachments"),
    [
        ("facturx", [("KON-2026-000001.pdf", "application/pdf")]),
        ("xrechnung", [("KON-2026-000001.xrechnung.xml", "application/xml")]),
        ("both", [("KON-2026-000001.pdf", "application/pdf"), ("KON-2026-000001.xrechnung.xml", "application/xml")]),
    ],
)
def test_the_invoice_goes_to_the_billing_address_with_the_chosen_e_invoice(invoice, customer, chosen, attachments):
    Organization.objects.filter(pk=customer.pk).update(billing_email="ap@rheinwerk.example")
    billing_profile_update(
        actor=ACTOR, organization=customer, buyer_reference="", leitweg_id="", e_invoice_format=chosen
    )
    with_files = invoice_files_render(invoice_id=invoice.pk)
    files = stored(invoice)

    delivery = invoice_email_send(invoice_id=invoice.pk)
    assert mail.outbox == []  # written to the outbox, sent by its task
    send_outbox()

    assert len(with_files) == 3
    assert delivery is not None
    assert (delivery.recipients, delivery.attachments) == (
        "ap@rheinwerk.example",
        {"facturx": "pdf", "xrechnung": "xrechnung", "both": "pdf, xrechnung"}[chosen],
    )
    [message] = mail.outbox
    assert message.to == ["ap@rheinwerk.example"]
    assert message.subject == "Invoice KON-2026-000001"  # the owner reads English
    assert "invoice KON-2026-000001 of 5 November 2026 over 11.90 EUR" in message.body
    assert [(name, content_type) for name, _, content_type in message.attachments] == attachments
    by_name = {name: content for name, content, _ in message.attachments}
    assert by_name.get("KON-2026-000001.pdf", files["pdf"]) == files["pdf"]
    assert by_name.get("KON-2026-000001.xrechnung.xml", files["xrechnung"]) == files["xrechnung"]
    assert list(
        AuditEvent.objects.unscoped().filter(action="billing.invoice_emailed").values_list("target_label", flat=True)
    ) == [str(invoice)]


def test_without_a_billing_address_the_owners_receive_it_in_the_document_language(reservation, customer, seller_bank):
    owner = Membership.objects.for_organization(customer).get().user
    owner.preferred_language = "de"
    owner.save(update_fields=["preferred_language"])
    usage(reservation, datetime(2026, 10, 5, 10, tzinfo=UTC), 4 * 3600, "2.5000")
    invoice = finalized(customer)  # worded in German from here on
    owner.preferred_language = "en"
    owner.save(update_fields=["preferred_language"])
    invoice_files_render(invoice_id=invoice.pk)

    invoice_email_send(invoice_id=invoice.pk)
    send_outbox()

    [message] = mail.outbox
    assert message.to == [owner.email]
    assert message.subject == "Rechnung KON-2026-000001"
    assert "Rechnung KON-2026-000001 vom 05.11.2026 über 11,90 EUR" in message.body


def test_the_task_twice_sends_one_e_mail(invoice):
    invoice_files_render(invoice_id=invoice.pk)

    assert send_invoice_email_task.apply(args=[invoice.pk]).get() is True
    assert send_invoice_email_task.apply(args=[invoice.pk]).get() is False
    send_outbox()

    assert len(mail.outbox) == 1
    assert OutgoingEmail.objects.filter(template="billing/invoice").count() == 1
    assert InvoiceDelivery.objects.unscoped().filter(invoice=invoice).count() == 1


def test_before_its_files_are_stored_the_e_mail_waits_and_nothing_is_sent(invoice):
    with pytest.raises(DeliveryError, match="pdf not stored yet"):
        invoice_email_send(invoice_id=invoice.pk)

    assert mail.outbox == []
    assert InvoiceDelivery.objects.unscoped().count() == 0
    assert send_invoice_email_task.max_retries == 8
    assert DeliveryError in send_invoice_email_task.autoretry_for


def test_storing_the_files_enqueues_the_e_mail_once_after_commit(invoice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as first:
        invoice_files_render(invoice_id=invoice.pk)
    with django_capture_on_commit_callbacks() as second:
        invoice_files_render(invoice_id=invoice.pk)

    assert (len(first), len(second)) == (1, 0)
    assert mail.outbox == []


def test_an_smtp_failure_is_retried_by_the_outbox_with_the_archived_bytes(invoice, customer, settings):
    Organization.objects.filter(pk=customer.pk).update(billing_email="ap@rheinwerk.example")
    billing_profile_update(
        actor=ACTOR, organization=customer, buyer_reference="", leitweg_id="", e_invoice_format="both"
    )
    invoice_files_render(invoice_id=invoice.pk)
    files = stored(invoice)
    invoice_email_send(invoice_id=invoice.pk)
    email = OutgoingEmail.objects.get(template="billing/invoice")
    backend = flaky(settings, failures=1)

    with pytest.raises(OSError, match="service not available"):
        email_send(email_id=email.pk)
    email.refresh_from_db()
    assert (email.status, email.attempts, mail.outbox) == (OutgoingEmailStatus.PENDING, 1, [])
    assert email_send(email_id=email.pk) is True  # the retry reads the files from the archive again

    email.refresh_from_db()
    assert (email.status, email.attempts, backend.refused) == (OutgoingEmailStatus.SENT, 2, 1)
    assert list(email.attachments.values_list("filename", "storage", "path", "sha256")) == [
        (f"{invoice.number}.pdf", "invoices", row.file.name, row.sha256)
        for row in InvoiceFile.objects.unscoped().filter(invoice=invoice, kind="pdf")
    ] + [
        (f"{invoice.number}.xrechnung.xml", "invoices", row.file.name, row.sha256)
        for row in InvoiceFile.objects.unscoped().filter(invoice=invoice, kind="xrechnung")
    ]
    [message] = mail.outbox
    assert message.to == ["ap@rheinwerk.example"]
    assert [content for _, content, _ in message.attachments] == [files["pdf"], files["xrechnung"]]


def test_an_attachment_whose_archived_bytes_changed_is_never_sent(invoice, customer):
    invoice_files_render(invoice_id=invoice.pk)
    invoice_email_send(invoice_id=invoice.pk)
    email = OutgoingEmail.objects.get(template="billing/invoice")
    email.attachments.update(sha256="0" * 64)

    with pytest.raises(AttachmentMismatchError):
        email_send(email_id=email.pk)

    email.refresh_from_db()
    assert (email.status, mail.outbox) == (OutgoingEmailStatus.FAILED, [])
    assert email.last_error.startswith("AttachmentMismatchError: invoices:invoices/")
    assert email_send(email_id=email.pk) is False  # failed for good: a retry sends nothing
