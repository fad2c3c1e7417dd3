from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.catalog_item_kind_enum import CatalogItemKindEnum
from ..models.license_enum import LicenseEnum

if TYPE_CHECKING:
    from ..models.latest_version import LatestVersion
    from ..models.requirements import Requirements


T = TypeVar("T", bound="CatalogItem")


@_attrs_define
class CatalogItem:
    """
    Attributes:
        slug (str):
        name (str):
        kind (CatalogItemKindEnum):
        publisher (str):
        summary (str):
        license_ (LicenseEnum): * `ngc_free` - Free (NGC)
            * `nvaie` - NVIDIA AI Enterprise
        license_terms (str): E.g. a model license such as Meta's.
        use_cases (list[str]):
        requirements (Requirements):
        latest_version (LatestVersion | None):
        runs_on (list[str]): GPU models with at least one offered flavor that can run the item (slugs).
    """

    slug: str
    name: str
    kind: CatalogItemKindEnum
    publisher: str
    summary: str
    license_: LicenseEnum
    license_terms: str
    use_cases: list[str]
    requirements: Requirements
    latest_version: LatestVersion | None
    runs_on: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.latest_version import LatestVersion  # noqa: PLC0415

        slug = self.slug

        name = self.name

        kind = self.kind.value

        publisher = self.publisher

        summary = self.summary

        license_ = self.license_.value

        license_terms = self.license_terms

        use_cases = self.use_cases

        requirements = self.requirements.to_dict()

        latest_version: dict[str, Any] | None
        if isinstance(self.latest_version, LatestVersion):
            latest_version = self.latest_version.to_dict()
        else:
            latest_version = self.latest_version

        runs_on = self.runs_on

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "slug": slug,
                "name": name,
                "kind": kind,
                "publisher": publisher,
                "summary": summary,
                "license": license_,
                "license_terms": license_terms,
                "use_cases": use_cases,
                "requirements": requirements,
                "latest_version": latest_version,
                "runs_on": runs_on,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.latest_version import LatestVersion  # noqa: PLC0415
        from ..models.requirements import Requirements  # noqa: PLC0415

        d = dict(src_dict)
        slug = d.pop("slug")

        name = d.pop("name")

        kind = CatalogItemKindEnum(d.pop("kind"))

        publisher = d.pop("publisher")

        summary = d.pop("summary")

        license_ = LicenseEnum(d.pop("license"))

        license_terms = d.pop("license_terms")

        use_cases = cast(list[str], d.pop("use_cases"))

        requirements = Requirements.from_dict(d.pop("requirements"))

        def _parse_latest_version(data: object) -> LatestVersion | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                latest_version_type_0 = LatestVersion.from_dict(data)

                return latest_version_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(LatestVersion | None, data)

        latest_version = _parse_latest_version(d.pop("latest_version"))

        runs_on = cast(list[str], d.pop("runs_on"))

        catalog_item = cls(
            slug=slug,
            name=name,
            kind=kind,
            publisher=publisher,
            summary=summary,
            license_=license_,
            license_terms=license_terms,
            use_cases=use_cases,
            requirements=requirements,
            latest_version=latest_version,
            runs_on=runs_on,
        )

        catalog_item.additional_properties = d
        return catalog_item

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
