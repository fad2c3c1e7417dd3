from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from catalog.models import AvailabilityZone, CatalogItem, Flavor, NodeType
from catalog.seeding import catalog_seed
from catalog.services import quote_create
from reservations.choices import Pool
from reservations.models import CapacityPool, Node
from tenants.audit import Actor
from tenants.choices import Role
from tenants.demo import legal_documents_ensure
from tenants.models import Consent, LegalDocument, Organization
from tests.factories import MembershipFactory, OrganizationFactory


@pytest.fixture
def catalog(db):
    catalog_seed(actor=Actor.system("test"))


@pytest.fixture
def small_inventory(catalog):
    """Two DGX B200 nodes per zone for reserved windows and one per zone on demand (24 GPUs per zone)."""
    node_type = NodeType.objects.get(slug="dgx-b200")
    for zone in AvailabilityZone.objects.order_by("slug"):
        for pool_kind, count in ((Pool.RESERVABLE, 2), (Pool.ON_DEMAND, 1)):
            pool = CapacityPool.objects.create(zone=zone, node_type=node_type, pool=pool_kind)
            for number in range(count):
                Node.objects.create(hostname=f"{zone.slug}-{pool_kind}-{number}", pool=pool)


@pytest.fixture
def customer(catalog) -> Organization:
    """An active German organization whose owner accepted the legal documents in force."""
    legal_documents_ensure()
    organization = OrganizationFactory.create(legal_name="Rheinwerk Robotics GmbH", slug="rheinwerk")
    owner = MembershipFactory.create(organization=organization, role=Role.OWNER).user
    for document in LegalDocument.objects.all():
        Consent.objects.create(organization=organization, document=document, user=owner)
    return organization


def hour(offset_hours: int) -> datetime:
    base = (timezone.now() + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    return base + timedelta(hours=offset_hours)


@pytest.fixture
def make_quote(customer):
    def make(
        flavor="b200-x4", count=1, commitment="reserved_1m", start=0, hours=24 * 30, organization=None, item="pytorch"
    ):
        version = CatalogItem.objects.get(slug=item).versions.order_by("-released_on").first()
        return quote_create(
            actor=Actor.system("test"),
            organization=organization or customer,
            version=version,
            flavor=Flavor.objects.get(slug=flavor),
            instance_count=count,
            commitment=commitment,
            starts_at=hour(start),
            ends_at=hour(start + hours),
        )

    return make
