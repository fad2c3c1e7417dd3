"""Input and output of the identity API. Secrets (client secrets, SCIM tokens) are write-only or shown once."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from identity.choices import Protocol
from identity.models import EmailDomain, GroupRoleMapping, IdentityProvider, ScimToken, SignInPolicy


class IdentityProviderSerializer(serializers.ModelSerializer[IdentityProvider]):
    has_client_secret = serializers.SerializerMethodField()
    sp_metadata_path = serializers.SerializerMethodField(help_text="SAML: Kontor's SP metadata, for the IdP.")

    class Meta:
        model = IdentityProvider
        fields = [
            "protocol",
            "enabled",
            "groups_claim",
            "issuer",
            "client_id",
            "has_client_secret",
            "scopes",
            "saml_entity_id",
            "saml_sso_url",
            "saml_metadata_url",
            "saml_certificate_not_after",
            "sp_metadata_path",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_has_client_secret(self, provider: IdentityProvider) -> bool:
        return bool(provider.client_secret_encrypted)

    def get_sp_metadata_path(self, provider: IdentityProvider) -> str | None:
        if provider.protocol != Protocol.SAML:
            return None
        return f"/accounts/saml/{provider.organization.slug}/metadata/"


class IdentityProviderInputSerializer(serializers.Serializer[Any]):
    protocol = serializers.ChoiceField(choices=Protocol.choices)
    enabled = serializers.BooleanField(default=True)
    groups_claim = serializers.CharField(max_length=255, default="groups", help_text="Claim or attribute with groups.")
    # OpenID Connect
    issuer = serializers.CharField(max_length=500, required=False, allow_blank=True)
    client_id = serializers.CharField(max_length=255, required=False, allow_blank=True)
    client_secret = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, write_only=True, help_text="Stored encrypted, never shown."
    )
    scopes = serializers.CharField(max_length=255, default="openid email profile")
    # SAML 2.0: the metadata by URL or pasted, or the three values by hand
    metadata_url = serializers.CharField(max_length=500, required=False, allow_blank=True)
    metadata_xml = serializers.CharField(max_length=200_000, required=False, allow_blank=True)
    entity_id = serializers.CharField(max_length=500, required=False, allow_blank=True)
    sso_url = serializers.CharField(max_length=500, required=False, allow_blank=True)
    certificate = serializers.CharField(max_length=20_000, required=False, allow_blank=True)


class EmailDomainSerializer(serializers.ModelSerializer[EmailDomain]):
    class Meta:
        model = EmailDomain
        fields = [
            "id",
            "domain",
            "status",
            "record_name",
            "record_value",
            "verified_at",
            "last_checked_at",
            "last_error",
            "created_at",
        ]
        read_only_fields = fields


class EmailDomainInputSerializer(serializers.Serializer[Any]):
    domain = serializers.CharField(max_length=253)


class GroupRoleMappingSerializer(serializers.ModelSerializer[GroupRoleMapping]):
    class Meta:
        model = GroupRoleMapping
        fields = ["id", "group", "role", "created_at"]
        read_only_fields = fields


class GroupRoleMappingInputSerializer(serializers.Serializer[Any]):
    group = serializers.CharField(max_length=255)
    role = serializers.CharField(max_length=32, help_text="owner, admin, billing, member or viewer.")


class SignInPolicySerializer(serializers.ModelSerializer[SignInPolicy]):
    break_glass_owner = serializers.EmailField(source="break_glass_owner.email", allow_null=True, default=None)

    class Meta:
        model = SignInPolicy
        fields = ["sso_required", "mfa_required", "break_glass_owner", "updated_at"]
        read_only_fields = fields


class SignInPolicyInputSerializer(serializers.Serializer[Any]):
    sso_required = serializers.BooleanField()
    mfa_required = serializers.BooleanField()
    break_glass_owner = serializers.EmailField(required=False, allow_null=True, help_text="An owner's e-mail address.")


class ScimTokenSerializer(serializers.ModelSerializer[ScimToken]):
    class Meta:
        model = ScimToken
        fields = ["id", "prefix", "created_at", "revoked_at"]
        read_only_fields = fields


class ScimTokenCreatedSerializer(ScimTokenSerializer):
    token = serializers.CharField(help_text="The bearer token (scim_...). Shown only in this answer.")

    class Meta(ScimTokenSerializer.Meta):
        fields = [*ScimTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields
