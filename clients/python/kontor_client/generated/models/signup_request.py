from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.language_enum import LanguageEnum
from ..types import UNSET, Unset

T = TypeVar("T", bound="SignupRequest")


@_attrs_define
class SignupRequest:
    """
    Attributes:
        legal_name (str):
        country (str): ISO 3166-1 alpha-2; EU, EEA or CH.
        street (str):
        postal_code (str):
        city (str):
        vat_id (str):
        billing_email (str):
        email (str): The first user, who becomes the owner.
        full_name (str):
        password (str):
        accept_terms (bool): Accepts the Terms of Service, the Data Processing Agreement and the Privacy Notice in
            force.
        language (LanguageEnum | Unset): * `en` - en
            * `de` - de Default: LanguageEnum.EN.
    """

    legal_name: str
    country: str
    street: str
    postal_code: str
    city: str
    vat_id: str
    billing_email: str
    email: str
    full_name: str
    password: str
    accept_terms: bool
    language: LanguageEnum | Unset = LanguageEnum.EN
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        legal_name = self.legal_name

        country = self.country

        street = self.street

        postal_code = self.postal_code

        city = self.city

        vat_id = self.vat_id

        billing_email = self.billing_email

        email = self.email

        full_name = self.full_name

        password = self.password

        accept_terms = self.accept_terms

        language: str | Unset = UNSET
        if not isinstance(self.language, Unset):
            language = self.language.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "legal_name": legal_name,
                "country": country,
                "street": street,
                "postal_code": postal_code,
                "city": city,
                "vat_id": vat_id,
                "billing_email": billing_email,
                "email": email,
                "full_name": full_name,
                "password": password,
                "accept_terms": accept_terms,
            }
        )
        if language is not UNSET:
            field_dict["language"] = language

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        legal_name = d.pop("legal_name")

        country = d.pop("country")

        street = d.pop("street")

        postal_code = d.pop("postal_code")

        city = d.pop("city")

        vat_id = d.pop("vat_id")

        billing_email = d.pop("billing_email")

        email = d.pop("email")

        full_name = d.pop("full_name")

        password = d.pop("password")

        accept_terms = d.pop("accept_terms")

        _language = d.pop("language", UNSET)
        language: LanguageEnum | Unset
        if isinstance(_language, Unset):
            language = UNSET
        else:
            language = LanguageEnum(_language)

        signup_request = cls(
            legal_name=legal_name,
            country=country,
            street=street,
            postal_code=postal_code,
            city=city,
            vat_id=vat_id,
            billing_email=billing_email,
            email=email,
            full_name=full_name,
            password=password,
            accept_terms=accept_terms,
            language=language,
        )

        signup_request.additional_properties = d
        return signup_request

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
