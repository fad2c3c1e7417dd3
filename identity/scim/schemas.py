"""What Kontor's SCIM endpoint publishes about itself (RFC 7643 sections 6 and 7): the resource types and the
schemas of exactly the attributes it stores — a client that fills more gets them ignored, not a promise broken."""

from __future__ import annotations

from typing import Any

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"


def attribute(
    name: str,
    *,
    kind: str = "string",
    required: bool = False,
    multi_valued: bool = False,
    mutability: str = "readWrite",
    uniqueness: str = "none",
    case_exact: bool = False,
    returned: str = "default",
    description: str = "",
    sub_attributes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "name": name,
        "type": kind,
        "multiValued": multi_valued,
        "description": description or name,
        "required": required,
        "caseExact": case_exact,
        "mutability": mutability,
        "returned": returned,
        "uniqueness": uniqueness,
    }
    if sub_attributes is not None:
        definition["subAttributes"] = sub_attributes
    if kind == "reference":
        definition["referenceTypes"] = ["User"]
    return definition


SCHEMAS: dict[str, dict[str, Any]] = {
    USER_SCHEMA: {
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A person of the organization.",
        "attributes": [
            attribute(
                "userName",
                required=True,
                uniqueness="server",
                description="The login name, usually the e-mail address.",
            ),
            attribute(
                "name",
                kind="complex",
                sub_attributes=[attribute("formatted", description="The full name.")],
            ),
            attribute("displayName", description="The full name."),
            attribute(
                "emails",
                kind="complex",
                multi_valued=True,
                required=True,
                mutability="immutable",
                description="The work e-mail address, set at creation (the userName when that is one).",
                sub_attributes=[
                    attribute("value", mutability="immutable", required=True),
                    attribute("primary", kind="boolean", mutability="immutable"),
                ],
            ),
            attribute("active", kind="boolean", description="False deprovisions the person."),
        ],
    },
    GROUP_SCHEMA: {
        "id": GROUP_SCHEMA,
        "name": "Group",
        "description": "A group; its name is what the group → role mappings map.",
        "attributes": [
            attribute("displayName", required=True, uniqueness="server"),
            attribute(
                "members",
                kind="complex",
                multi_valued=True,
                sub_attributes=[
                    attribute("value", mutability="immutable", case_exact=True),
                    attribute("$ref", kind="reference", mutability="immutable"),
                    attribute("display", mutability="readOnly"),
                ],
            ),
        ],
    },
}

RESOURCE_TYPES: dict[str, dict[str, Any]] = {
    "User": {
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "People of the organization.",
        "schema": USER_SCHEMA,
        "schemaExtensions": [],
    },
    "Group": {
        "id": "Group",
        "name": "Group",
        "endpoint": "/Groups",
        "description": "Groups that map to Kontor roles.",
        "schema": GROUP_SCHEMA,
        "schemaExtensions": [],
    },
}
