from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.protocol_enum import ProtocolEnum

T = TypeVar("T", bound="IdentityProvider")


@_attrs_define
class IdentityProvider:
    """
    Attributes:
        protocol (ProtocolEnum): * `oidc` - OpenID Connect
            * `saml` - SAML 2.0
        enabled (bool):
        groups_claim (str):
        issuer (str):
        client_id (str):
        has_client_secret (bool):
        scopes (str):
        saml_entity_id (str):
        saml_sso_url (str):
        saml_metadata_url (str):
        saml_certificate_not_after (datetime.datetime | None):
        sp_metadata_path (None | str): SAML: Kontor's SP metadata, for the IdP.
        created_at (str):
        updated_at (str):
    """

    protocol: ProtocolEnum
    enabled: bool
    groups_claim: str
    issuer: str
    client_id: str
    has_client_secret: bool
    scopes: str
    saml_entity_id: str
    saml_sso_url: str
    saml_metadata_url: str
    saml_certificate_not_after: datetime.datetime | None
    sp_metadata_path: None | str
    created_at: str
    updated_at: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        protocol = self.protocol.value

        enabled = self.enabled

        groups_claim = self.groups_claim

        issuer = self.issuer

        client_id = self.client_id

        has_client_secret = self.has_client_secret

        scopes = self.scopes

        saml_entity_id = self.saml_entity_id

        saml_sso_url = self.saml_sso_url

        saml_metadata_url = self.saml_metadata_url

        saml_certificate_not_after: None | str
        if isinstance(self.saml_certificate_not_after, datetime.datetime):
            saml_certificate_not_after = self.saml_certificate_not_after.isoformat()
        else:
            saml_certificate_not_after = self.saml_certificate_not_after

        sp_metadata_path: None | str
        sp_metadata_path = self.sp_metadata_path

        created_at = self.created_at

        updated_at = self.updated_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "protocol": protocol,
                "enabled": enabled,
                "groups_claim": groups_claim,
                "issuer": issuer,
                "client_id": client_id,
                "has_client_secret": has_client_secret,
                "scopes": scopes,
                "saml_entity_id": saml_entity_id,
                "saml_sso_url": saml_sso_url,
                "saml_metadata_url": saml_metadata_url,
                "saml_certificate_not_after": saml_certificate_not_after,
                "sp_metadata_path": sp_metadata_path,
                "created_at": created_at,
                "updated_at": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        protocol = ProtocolEnum(d.pop("protocol"))

        enabled = d.pop("enabled")

        groups_claim = d.pop("groups_claim")

        issuer = d.pop("issuer")

        client_id = d.pop("client_id")

        has_client_secret = d.pop("has_client_secret")

        scopes = d.pop("scopes")

        saml_entity_id = d.pop("saml_entity_id")

        saml_sso_url = d.pop("saml_sso_url")

        saml_metadata_url = d.pop("saml_metadata_url")

        def _parse_saml_certificate_not_after(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                saml_certificate_not_after_type_0 = datetime.datetime.fromisoformat(data)

                return saml_certificate_not_after_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        saml_certificate_not_after = _parse_saml_certificate_not_after(d.pop("saml_certificate_not_after"))

        def _parse_sp_metadata_path(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        sp_metadata_path = _parse_sp_metadata_path(d.pop("sp_metadata_path"))

        created_at = d.pop("created_at")

        updated_at = d.pop("updated_at")

        identity_provider = cls(
            protocol=protocol,
            enabled=enabled,
            groups_claim=groups_claim,
            issuer=issuer,
            client_id=client_id,
            has_client_secret=has_client_secret,
            scopes=scopes,
            saml_entity_id=saml_entity_id,
            saml_sso_url=saml_sso_url,
            saml_metadata_url=saml_metadata_url,
            saml_certificate_not_after=saml_certificate_not_after,
            sp_metadata_path=sp_metadata_path,
            created_at=created_at,
            updated_at=updated_at,
        )

        identity_provider.additional_properties = d
        return identity_provider

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
