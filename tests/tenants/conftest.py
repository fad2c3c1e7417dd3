from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tenants.choices import LegalDocumentKind
from tenants.models import LegalDocument


@pytest.fixture
def legal_documents() -> list[LegalDocument]:
    """The Terms of Service, DPA and Privacy Notice in force since yesterday."""
    yesterday = timezone.now() - timedelta(days=1)
    return [
        LegalDocument.objects.create(
            kind=kind, version="2026-01", title=str(kind.label), body="…", effective_at=yesterday
        )
        for kind in LegalDocumentKind
    ]
