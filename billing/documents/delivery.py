"""The invoice e-mail: a finalized document's stored files sent to the organization's billing address.

``billing.send_invoice_email`` writes it once per document (retried while the files are not stored yet) into the
e-mail outbox (``tenants.mail``), one e-mail per recipient, in the transaction that records the delivery: the
outbox task sends it with retries on SMTP errors, and its sweeper re-drives a lost message. The attachments are
references to the archived files (storage alias, path, SHA-256), read from the archive when the e-mail is sent.
They follow the organization's e-invoice format: the Factur-X PDF, the XRechnung XML, or both. The recipient is the
organization's billing e-mail, or its owners when it has none.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from billing.archive import INVOICE_STORAGE_ALIAS
from billing.choices import InvoiceKind, InvoiceStatus
from billing.documents.formats import document_date
from billing.documents.mapping import document_language
from billing.documents.models import EInvoiceFormat, InvoiceDelivery
from billing.documents.terms import billing_profile_get
from billing.models import Invoice, InvoiceFile, InvoiceFileKind
from billing.periods import BERLIN
from tenants.audit import Actor, audit_record
from tenants.choices import Role
from tenants.mail import StoredAttachment, email_enqueue
from tenants.models import Membership, Organization

logger = logging.getLogger(__name__)

ATTACHMENTS = {
    EInvoiceFormat.FACTURX: (InvoiceFileKind.PDF,),
    EInvoiceFormat.XRECHNUNG: (InvoiceFileKind.XRECHNUNG,),
    EInvoiceFormat.BOTH: (InvoiceFileKind.PDF, InvoiceFileKind.XRECHNUNG),
}


class DeliveryError(Exception):
    """The e-mail cannot be sent yet (its files are not stored); the task retries."""


def invoice_recipients(organization: Organization) -> list[str]:
    """The billing e-mail of the organization, or the addresses of its owners when it has none."""
    if organization.billing_email:
        return [organization.billing_email]
    return list(
        Membership.objects.for_organization(organization)
        .filter(role=Role.OWNER)
        .order_by("pk")
        .values_list("user__email", flat=True)
    )


def invoice_email_send(*, invoice_id: int) -> InvoiceDelivery | None:
    """Put the finalized document's e-mail, with its attachments, into the outbox once; None when that was done
    already (or cannot be).

    Runs under the invoice row lock, so two concurrent deliveries of the task write one e-mail per recipient.
    Raises ``DeliveryError`` while a file the organization receives is not stored yet.
    """
    with transaction.atomic():
        invoice = (
            Invoice.objects.unscoped().select_for_update(of=("self",)).select_related("organization").get(pk=invoice_id)
        )
        organization = invoice.organization
        if invoice.status != InvoiceStatus.FINALIZED:
            return None
        if InvoiceDelivery.objects.for_organization(organization).filter(invoice=invoice).exists():
            return None
        kinds = ATTACHMENTS[EInvoiceFormat(billing_profile_get(organization=organization).e_invoice_format)]
        files = {
            file.kind: file
            for file in InvoiceFile.objects.for_organization(organization).filter(invoice=invoice, kind__in=kinds)
        }
        missing = [kind for kind in kinds if kind not in files]
        if missing:
            raise DeliveryError(f"{invoice}: {', '.join(missing)} not stored yet.")
        recipients = invoice_recipients(organization)
        if not recipients:
            logger.warning(
                "Invoice %s: organization %s has no billing address and no owner.", invoice.number, organization.pk
            )
            return None
        language = document_language(invoice)
        with translation.override(language):
            is_credit_note = invoice.kind == InvoiceKind.CREDIT_NOTE
            values = {
                "number": invoice.number,
                "date": document_date((invoice.issued_at or invoice.created_at).astimezone(BERLIN).date(), language),
                "seller": invoice.seller_legal_name,
                "gross": number_format(invoice.gross_amount, 2, use_l10n=True, force_grouping=True),
                "currency": invoice.currency,
            }
            subject = (_("Credit note %(number)s") if is_credit_note else _("Invoice %(number)s")) % values
            body = (
                _(
                    "Dear customer,\n\nattached is our credit note %(number)s of %(date)s over %(gross)s "
                    "%(currency)s.\n\nKind regards\n%(seller)s"
                )
                if is_credit_note
                else _(
                    "Dear customer,\n\nattached is our invoice %(number)s of %(date)s over %(gross)s %(currency)s. "
                    "The payment details are on the invoice.\n\nKind regards\n%(seller)s"
                )
            ) % values
        attachments = [
            StoredAttachment(
                filename=files[kind].file.name.rsplit("/", 1)[-1],
                content_type=files[kind].content_type,
                storage=INVOICE_STORAGE_ALIAS,
                path=files[kind].file.name,
                sha256=files[kind].sha256,
            )
            for kind in kinds
        ]
        for recipient in recipients:
            email_enqueue(to=recipient, subject=subject, body=body, template="billing/invoice", attachments=attachments)
        delivery = InvoiceDelivery.objects.create(
            organization=organization,
            invoice=invoice,
            recipients=", ".join(recipients),
            attachments=", ".join(kinds),
        )
        audit_record(
            actor=Actor.system("billing.send_invoice_email"),
            action="billing.invoice_emailed",
            target=invoice,
            organization=organization,
            data={"number": invoice.number, "recipients": recipients, "attachments": list(kinds)},
        )
        return delivery
