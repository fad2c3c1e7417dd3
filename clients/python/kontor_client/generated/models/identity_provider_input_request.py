from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.protocol_enum import ProtocolEnum
from ..types import UNSET, Unset

T = TypeVar("T", bound="IdentityProviderInputRequest")


@_attrs_define
class IdentityProviderInputRequest:
    """
    Attributes:
        protocol (ProtocolEnum): * `oidc` - OpenID Connect
            * `saml` - SAML 2.0
        enabled (bool | Unset):  Default: True.
        groups_claim (str | Unset): Claim or attribute with groups. Default: 'groups'.
        issuer (str | Unset):
        client_id (str | Unset):
        client_secret (str | Unset): Stored encrypted, never shown.
        scopes (str | Unset):  Default: 'openid email profile'.
        metadata_url (str | Unset):
        metadata_xml (str | Unset):
        entity_id (str | Unset):
        sso_url (str | Unset):
        certificate (str | Unset):
    """

    protocol: ProtocolEnum
    enabled: bool | Unset = True
    groups_claim: str | Unset = "groups"
    issuer: str | Unset = UNSET
    client_id: str | Unset = UNSET
    client_secret: str | Unset = UNSET
    scopes: str | Unset = "openid email profile"
    metadata_url: str | Unset = UNSET
    metadata_xml: str | Unset = UNSET
    entity_id: str | Unset = UNSET
    sso_url: str | Unset = UNSET
    certificate: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        protocol = self.protocol.value

        enabled = self.enabled

        groups_claim = self.groups_claim

        issuer = self.issuer

        client_id = self.client_id

        client_secret = self.client_secret

        scopes = self.scopes

        metadata_url = self.metadata_url

        metadata_xml = self.metadata_xml

        entity_id = self.entity_id

        sso_url = self.sso_url

        certificate = self.certificate

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "protocol": protocol,
            }
        )
        if enabled is not UNSET:
            field_dict["enabled"] = enabled
        if groups_claim is not UNSET:
            field_dict["groups_claim"] = groups_claim
        if issuer is not UNSET:
            field_dict["issuer"] = issuer
        if client_id is not UNSET:
            field_dict["client_id"] = client_id
        if client_secret is not UNSET:
            field_dict["client_secret"] = client_secret
        if scopes is not UNSET:
            field_dict["scopes"] = scopes
        if metadata_url is not UNSET:
            field_dict["metadata_url"] = metadata_url
        if metadata_xml is not UNSET:
            field_dict["metadata_xml"] = metadata_xml
        if entity_id is not UNSET:
            field_dict["entity_id"] = entity_id
        if sso_url is not UNSET:
            field_dict["sso_url"] = sso_url
        if certificate is not UNSET:
            field_dict["certificate"] = certificate

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        protocol = ProtocolEnum(d.pop("protocol"))

        enabled = d.pop("enabled", UNSET)

        groups_claim = d.pop("groups_claim", UNSET)

        issuer = d.pop("issuer", UNSET)

        client_id = d.pop("client_id", UNSET)

        client_secret = d.pop("client_secret", UNSET)

        scopes = d.pop("scopes", UNSET)

        metadata_url = d.pop("metadata_url", UNSET)

        metadata_xml = d.pop("metadata_xml", UNSET)

        entity_id = d.pop("entity_id", UNSET)

        sso_url = d.pop("sso_url", UNSET)

        certificate = d.pop("certificate", UNSET)

        identity_provider_input_request = cls(
            protocol=protocol,
            enabled=enabled,
            groups_claim=groups_claim,
            issuer=issuer,
            client_id=client_id,
            client_secret=client_secret,
            scopes=scopes,
            metadata_url=metadata_url,
            metadata_xml=metadata_xml,
            entity_id=entity_id,
            sso_url=sso_url,
            certificate=certificate,
        )

        identity_provider_input_request.additional_properties = d
        return identity_provider_input_request

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
