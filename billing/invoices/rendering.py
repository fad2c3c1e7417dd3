"""The documents of a finalized invoice or credit note: rendered, validated and stored once, after the commit."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef

from billing.choices import InvoiceStatus
from billing.documents.cii import cii_xml, xrechnung_xml
from billing.documents.mapping import invoice_document
from billing.documents.models import InvoiceTerms
from billing.documents.pdf import facturx_pdf
from billing.documents.validation import e_invoice_problems
from billing.invoices.models import INVOICE_FILE_SUFFIXES, Invoice, InvoiceFile, InvoiceFileKind
from core.tasks import enqueue_on_commit
from tenants.audit import Actor, audit_record

logger = logging.getLogger(__name__)
SEND_TASK = "billing.send_invoice_email"


class InvalidEInvoiceError(Exception):
    """The XML of a finalized document fails the XSD, the EN 16931 or the XRechnung schematron: nothing was stored."""


def invoice_files_render(*, invoice_id: int) -> list[InvoiceFile]:
    """Render, validate and store the EN 16931 XML, the XRechnung XML and the Factur-X PDF of a finalized document.

    Idempotent and safe to run concurrently: the invoice row is locked (a finalized row is never updated, but it can
    be locked), documents that already have their files are skipped, and (invoice, kind) is unique. Every XML must
    pass the CII XSD and the CEN EN 16931 schematron, the XRechnung also KoSIT's schematron, with no failed assert
    that is an error; otherwise ``InvalidEInvoiceError`` is raised, logged and nothing is stored: an invalid
    e-invoice is never issued. Documents finalized before terms were frozen (no seller contact, BG-6) get no
    XRechnung. When files were written, the e-mail to the organization is sent after commit. Returns the files
    written by this call.
    """
    with transaction.atomic():
        invoice = (
            Invoice.objects.unscoped()
            .select_for_update(of=("self",))
            .select_related("organization", "credited_invoice", "terms")
            .get(pk=invoice_id)
        )
        if invoice.status != InvoiceStatus.FINALIZED:
            raise InvalidEInvoiceError(f"{invoice} is not finalized; drafts have no documents.")
        present = set(
            InvoiceFile.objects.for_organization(invoice.organization)
            .filter(invoice=invoice)
            .values_list("kind", flat=True)
        )
        document = invoice_document(invoice)
        xmls = {InvoiceFileKind.XML: cii_xml(document)}
        if document.seller_contact is not None:
            xmls[InvoiceFileKind.XRECHNUNG] = xrechnung_xml(document)
        if present >= {*xmls, InvoiceFileKind.PDF}:
            return []
        problems = [
            f"{kind}: {problem}"
            for kind, xml in xmls.items()
            for problem in e_invoice_problems(xml, xrechnung=kind == InvoiceFileKind.XRECHNUNG)
        ]
        if problems:
            logger.error("Invoice %s: the e-invoice is invalid, nothing stored: %s", invoice.number, problems)
            raise InvalidEInvoiceError(f"{invoice}: the XML is not a valid e-invoice: {'; '.join(problems)}")
        contents: dict[InvoiceFileKind, bytes] = dict(xmls)
        if InvoiceFileKind.PDF not in present:
            contents[InvoiceFileKind.PDF] = facturx_pdf(document)
        written = [
            InvoiceFile.objects.create(
                organization=invoice.organization,
                invoice=invoice,
                kind=kind,
                file=ContentFile(data, name=f"{invoice.number}.{INVOICE_FILE_SUFFIXES[InvoiceFileKind(kind)]}"),
                sha256=hashlib.sha256(data).hexdigest(),
            )
            for kind, data in contents.items()
            if kind not in present
        ]
        if written:
            enqueue_on_commit(SEND_TASK, invoice.pk)
        return written


# A finalized document whose render task was lost or failed (a database restart, a worker killed) is rendered again
# once it is older than this.
RENDER_REDRIVE_AFTER = timedelta(minutes=10)
RENDER_TASK = "billing.render_invoice_documents"


def invoices_render_missing(*, now: datetime) -> int:
    """Re-drive the rendering of finalized documents that still lack a file (the sweeper; invariant 9).

    Rendering is idempotent per (invoice, kind), so a document whose first task is merely slow is not harmed.
    Returns how many were queued; each re-drive is audited.
    """
    has_kind = {
        kind: Exists(InvoiceFile.objects.unscoped().filter(invoice=OuterRef("pk"), kind=kind))
        for kind in (InvoiceFileKind.XML, InvoiceFileKind.PDF, InvoiceFileKind.XRECHNUNG)
    }
    # Documents with frozen terms get an XRechnung too; older ones cannot (no seller contact was frozen).
    has_terms = Exists(InvoiceTerms.objects.unscoped().filter(invoice=OuterRef("pk")))
    missing = list(
        Invoice.objects.unscoped()
        .select_related("organization")
        .filter(status=InvoiceStatus.FINALIZED, issued_at__lt=now - RENDER_REDRIVE_AFTER)
        .filter(
            ~has_kind[InvoiceFileKind.XML]
            | ~has_kind[InvoiceFileKind.PDF]
            | (has_terms & ~has_kind[InvoiceFileKind.XRECHNUNG])
        )
        .order_by("pk")[:500]
    )
    for invoice in missing:
        with transaction.atomic():
            audit_record(
                actor=Actor.system("sweeper"),
                action="invoice.documents_redriven",
                target=invoice,
                organization=invoice.organization,
            )
            enqueue_on_commit(RENDER_TASK, invoice.pk)
    return len(missing)
