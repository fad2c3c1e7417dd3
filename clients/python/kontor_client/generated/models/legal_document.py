from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.legal_document_kind_enum import LegalDocumentKindEnum

T = TypeVar("T", bound="LegalDocument")


@_attrs_define
class LegalDocument:
    """
    Attributes:
        id (int):
        kind (LegalDocumentKindEnum): * `terms` - Terms of Service
            * `dpa` - Data Processing Agreement (GDPR Art. 28)
            * `privacy` - Privacy Notice
        version (str):
        title (str):
        body (str):
        effective_at (datetime.datetime):
    """

    id: int
    kind: LegalDocumentKindEnum
    version: str
    title: str
    body: str
    effective_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        kind = self.kind.value

        version = self.version

        title = self.title

        body = self.body

        effective_at = self.effective_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "kind": kind,
                "version": version,
                "title": title,
                "body": body,
                "effective_at": effective_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        kind = LegalDocumentKindEnum(d.pop("kind"))

        version = d.pop("version")

        title = d.pop("title")

        body = d.pop("body")

        effective_at = datetime.datetime.fromisoformat(d.pop("effective_at"))

        legal_document = cls(
            id=id,
            kind=kind,
            version=version,
            title=title,
            body=body,
            effective_at=effective_at,
        )

        legal_document.additional_properties = d
        return legal_document

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
