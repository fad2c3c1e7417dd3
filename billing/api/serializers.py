from __future__ import annotations

from rest_framework import serializers

from billing.models import Invoice, InvoiceFile, InvoiceLine


class InvoiceLineSerializer(serializers.ModelSerializer[InvoiceLine]):
    class Meta:
        model = InvoiceLine
        fields = [
            "position",
            "description",
            "meter",
            "flavor_slug",
            "quantity",
            "unit_price",
            "net_amount",
            "service_start",
            "service_end",
            "vat_category",
            "vat_rate",
        ]
        read_only_fields = fields


class InvoiceSerializer(serializers.ModelSerializer[Invoice]):
    """A finalized invoice (380) or credit note (381). Amounts are decimal strings in EUR."""

    kind = serializers.CharField(read_only=True, help_text="Document type (UNTDID 1001): 380 invoice, 381 credit note.")
    credited_invoice: serializers.SlugRelatedField[Invoice] = serializers.SlugRelatedField(
        slug_field="number", read_only=True, allow_null=True
    )
    files = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "kind",
            "issued_at",
            "period_start",
            "period_end",
            "currency",
            "net_amount",
            "vat_amount",
            "gross_amount",
            "vat_category",
            "vat_rate",
            "vat_note",
            "credited_invoice",
            "credit_reason",
            "files",
        ]
        read_only_fields = fields

    def get_files(self, invoice: Invoice) -> list[str]:
        """The kinds stored and downloadable (``pdf``, ``xml``, ``xrechnung``); empty while being rendered."""
        stored: list[InvoiceFile] = list(invoice.files.all())
        return sorted(file.kind for file in stored)


class InvoiceDetailSerializer(InvoiceSerializer):
    lines = InvoiceLineSerializer(many=True, read_only=True)

    class Meta(InvoiceSerializer.Meta):
        fields = [*InvoiceSerializer.Meta.fields, "lines"]
        read_only_fields = fields
