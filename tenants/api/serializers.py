from __future__ import annotations

from rest_framework import serializers

from portal.api.serializers import FieldsOnceModelSerializer
from tenants.models import AuditEvent, Membership, Organization, User


class OrganizationSerializer(FieldsOnceModelSerializer[Organization]):
    class Meta:
        model = Organization
        fields = ["slug", "legal_name", "country", "status", "created_at"]
        read_only_fields = fields


class MembershipSerializer(serializers.ModelSerializer[Membership]):
    email = serializers.EmailField(source="user.email", read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "email", "full_name", "role", "created_at"]
        read_only_fields = fields


class AccountMembershipSerializer(serializers.ModelSerializer[Membership]):
    organization = OrganizationSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["organization", "role"]
        read_only_fields = fields


class MeSerializer(serializers.ModelSerializer[User]):
    memberships = AccountMembershipSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = ["email", "full_name", "preferred_language", "is_staff", "memberships"]
        read_only_fields = fields


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    # null for platform events (an operator's action, a sign-up before its organization exists)
    organization: serializers.SlugRelatedField[AuditEvent] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "occurred_at",
            "actor_type",
            "actor_label",
            "organization",
            "action",
            "target_type",
            "target_id",
            "target_label",
            "data",
            "ip_address",
            "request_id",
        ]
        read_only_fields = fields
