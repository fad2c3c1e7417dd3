"""portal.api.serializers.FieldsOnceModelSerializer: the fields ModelSerializer builds, built once per class."""

from __future__ import annotations

import pytest
from rest_framework import serializers

from tenants.api.serializers import OrganizationSerializer
from tenants.models import Organization

pytestmark = pytest.mark.django_db


class PlainOrganizationSerializer(serializers.ModelSerializer[Organization]):
    class Meta:
        model = Organization
        fields = ["slug", "legal_name", "country", "status", "created_at"]
        read_only_fields = fields


def test_the_fields_built_once_are_the_fields_modelserializer_builds(organization):
    first, second = OrganizationSerializer(organization), OrganizationSerializer(organization)

    assert repr(OrganizationSerializer()).replace("OrganizationSerializer", "X") == repr(
        PlainOrganizationSerializer()
    ).replace("PlainOrganizationSerializer", "X")
    assert first.data == second.data == PlainOrganizationSerializer(organization).data
    assert first.data["status"] == organization.status
    # Each instance binds its own copies: no field object is shared between two serializers.
    assert not {id(field) for field in first.fields.values()} & {id(field) for field in second.fields.values()}
    assert all(field.parent is first for field in first.fields.values())
    assert all(field.parent is second for field in second.fields.values())
