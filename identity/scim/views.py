"""SCIM 2.0 (RFC 7643/7644) for organizations' identity providers: ``/scim/v2/``, a bearer token per organization.

Users are the people the organization provisioned or who signed in through its provider (``ExternalIdentity``);
a resource ID is that row's ID, so another organization's person is a 404 like a missing one. Supported: Users
(list with ``filter=userName eq "…"`` / ``externalId eq "…"``, ``startIndex``/``count`` pagination; get; create;
PATCH of ``active``, ``displayName`` and ``name.formatted``; DELETE), Groups (list with ``displayName eq``, get,
create, PATCH of members and ``displayName``, DELETE; a group's name is what the group → role mappings map, and a
change of members sets the roles at once), ServiceProviderConfig, ResourceTypes and Schemas (``identity.scim.schemas``,
checked with scim2-tester in tests/identity/test_scim_conformance.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from identity.models import ExternalIdentity, ScimGroup, ScimToken
from identity.scim.schemas import RESOURCE_TYPE_SCHEMA, RESOURCE_TYPES, SCHEMA_SCHEMA, SCHEMAS
from identity.scim_services import (
    scim_group_create,
    scim_group_delete,
    scim_group_update,
    scim_token_authenticate,
    scim_user_activate,
    scim_user_create,
    scim_user_deprovision,
    scim_user_set_external_id,
    scim_user_update,
)
from tenants.audit import Actor
from tenants.web.access import public_page

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
CONTENT_TYPE = "application/scim+json"
MAX_COUNT = 200
FILTER = re.compile(r'^\s*(userName|externalId)\s+eq\s+"([^"]*)"\s*$', re.IGNORECASE)


def scim_response(data: dict[str, Any], status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, content_type=CONTENT_TYPE)


def scim_error(status: int, detail: str, scim_type: str = "") -> JsonResponse:
    body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return scim_response(body, status)


ScimView = Callable[..., HttpResponse]


def scim_view(view: ScimView) -> Callable[..., HttpResponse]:
    """Authenticate the bearer token; the view gets the token (and so the organization) as ``token``."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        scheme, _sep, raw = request.headers.get("Authorization", "").partition(" ")
        token = scim_token_authenticate(raw.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            response = scim_error(401, "A valid SCIM bearer token is required.")
            response["WWW-Authenticate"] = 'Bearer realm="scim"'
            return response
        try:
            return view(request, token, *args, **kwargs)
        except ValidationError as exc:
            errors = (
                [error for group in exc.error_dict.values() for error in group] if hasattr(exc, "error_dict") else [exc]
            )
            codes = {error.code for error in errors}
            status = 409 if codes & {"uniqueness", "last_owner"} else 400
            return scim_error(status, " ".join(exc.messages), "uniqueness" if "uniqueness" in codes else "invalidValue")

    # No session and no organization in the URL: the bearer token names the organization (kontor.E002's "public").
    return public_page(wrapper)


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError as exc:
        raise ValidationError({"body": ["The body is not JSON."]}, code="invalidSyntax") from exc
    if not isinstance(data, dict):
        raise ValidationError({"body": ["The body must be a JSON object."]}, code="invalidSyntax")
    return data


def _actor(request: HttpRequest, token: ScimToken) -> Actor:
    return Actor.system(f"scim:{token.prefix}")


ALWAYS_RETURNED = {"schemas", "id", "meta"}


def _project(request: HttpRequest, resource: dict[str, Any]) -> dict[str, Any]:
    """RFC 7644 3.9: ``attributes`` returns only the named attributes (with id, schemas and meta),
    ``excludedAttributes`` leaves the named ones out."""
    included = {name.strip().split(".")[0].lower() for name in request.GET.get("attributes", "").split(",") if name}
    excluded = {
        name.strip().lower() for name in request.GET.get("excludedAttributes", "").split(",") if "." not in name
    }
    if included:
        return {key: value for key, value in resource.items() if key in ALWAYS_RETURNED or key.lower() in included}
    return {key: value for key, value in resource.items() if key in ALWAYS_RETURNED or key.lower() not in excluded}


def _primary_email(data: dict[str, Any]) -> str:
    emails = [item for item in data.get("emails") or [] if isinstance(item, dict) and item.get("value")]
    primary = next((item for item in emails if item.get("primary")), emails[0] if emails else {})
    return str(primary.get("value") or "")


def _full_name(data: dict[str, Any]) -> str:
    name = data.get("name") if isinstance(data.get("name"), dict) else {}
    return str(data.get("displayName") or (name or {}).get("formatted") or "")


def user_resource(request: HttpRequest, identity: ExternalIdentity) -> dict[str, Any]:
    """The person as SCIM shows them; unassigned attributes (no name, no external ID) are left out."""
    user = identity.user
    resource: dict[str, Any] = {"schemas": [USER_SCHEMA], "id": str(identity.pk)}
    if identity.subject != user.email:
        resource["externalId"] = identity.subject
    resource["userName"] = identity.user_name or user.email
    if user.full_name:
        resource["displayName"] = user.full_name
        resource["name"] = {"formatted": user.full_name}
    resource["emails"] = [{"value": user.email, "primary": True}]
    resource["active"] = identity.active
    resource["meta"] = {
        "resourceType": "User",
        "created": identity.user.date_joined.isoformat(),
        "location": request.build_absolute_uri(f"/scim/v2/Users/{identity.pk}"),
    }
    return resource


def _identities(token: ScimToken) -> Any:
    return ExternalIdentity.objects.for_organization(token.organization).select_related("user").order_by("id")


def _get(token: ScimToken, resource_id: str) -> ExternalIdentity | None:
    if not resource_id.isdigit():
        return None
    return _identities(token).filter(pk=int(resource_id)).first()


@scim_view
def users(request: HttpRequest, token: ScimToken) -> HttpResponse:
    if request.method == "POST":
        data = _body(request)
        user_name = str(data.get("userName") or "")
        identity = scim_user_create(
            actor=_actor(request, token),
            organization=token.organization,
            email=user_name if "@" in user_name else _primary_email(data),
            full_name=_full_name(data),
            external_id=str(data.get("externalId") or ""),
            user_name=user_name,
        )
        if data.get("active") is False:
            scim_user_deprovision(actor=_actor(request, token), organization=token.organization, identity=identity)
            identity.refresh_from_db()
        return scim_response(_project(request, user_resource(request, identity)), 201)
    if request.method != "GET":
        return scim_error(405, "Method not allowed.")
    queryset = _identities(token)
    expression = request.GET.get("filter")
    if expression:
        match = FILTER.match(expression)
        if match is None:
            return scim_error(400, 'Supported filters: userName eq "…" and externalId eq "…".', "invalidFilter")
        attribute, value = match.group(1).lower(), match.group(2)
        queryset = queryset.filter(
            Q(user_name=value) | Q(user_name="", user__email=value.lower())
            if attribute == "username"
            else Q(subject=value)
        )
    try:
        start = max(int(request.GET.get("startIndex", "1")), 1)
        count = min(max(int(request.GET.get("count", str(MAX_COUNT))), 0), MAX_COUNT)
    except ValueError:
        return scim_error(400, "startIndex and count must be integers.", "invalidValue")
    total = queryset.count()
    page = list(queryset[start - 1 : start - 1 + count])
    return scim_response(
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(page),
            "Resources": [_project(request, user_resource(request, identity)) for identity in page],
        }
    )


def _apply_patch(request: HttpRequest, token: ScimToken, identity: ExternalIdentity, data: dict[str, Any]) -> None:
    if PATCH_SCHEMA not in (data.get("schemas") or []):
        raise ValidationError({"schemas": ["A PATCH names the PatchOp schema."]}, code="invalidSyntax")
    changes: dict[str, Any] = {}
    for operation in data.get("Operations") or []:
        op = str(operation.get("op", "")).lower()
        if op not in {"replace", "add", "remove"}:
            raise ValidationError({"op": ["op must be add, replace or remove."]}, code="invalidValue")
        path, value = operation.get("path"), operation.get("value")
        if op == "remove":
            if path not in {"displayName", "name.formatted", "name", "externalId"}:
                raise ValidationError({str(path): [f"{path} cannot be removed."]}, code="invalidPath")
            changes[str(path)] = None if path == "externalId" else ""
        elif path == "name" and isinstance(value, dict):
            changes["name.formatted"] = value.get("formatted") or ""
        elif path:
            changes[str(path)] = value
        elif isinstance(value, dict):
            for key, item in value.items():
                if key == "name" and isinstance(item, dict):
                    changes["name.formatted"] = item.get("formatted") or ""
                else:
                    changes[str(key)] = item
    actor = _actor(request, token)
    for path, value in changes.items():
        if path == "active":
            active = value if isinstance(value, bool) else str(value).lower() == "true"
            if active:
                scim_user_activate(actor=actor, organization=token.organization, identity=identity)
            else:
                scim_user_deprovision(actor=actor, organization=token.organization, identity=identity)
        elif path in {"displayName", "name.formatted", "name"}:
            scim_user_update(actor=actor, organization=token.organization, identity=identity, full_name=str(value))
        elif path == "userName":
            scim_user_update(actor=actor, organization=token.organization, identity=identity, user_name=str(value))
        elif path == "externalId":
            scim_user_set_external_id(
                actor=actor, organization=token.organization, identity=identity, external_id=str(value or "")
            )
        elif path == "schemas" or path.startswith("emails"):
            continue  # the subject and the e-mail address are set at creation (immutable)
        else:
            raise ValidationError({path: [f"{path} cannot be changed here."]}, code="invalidPath")


@scim_view
def user(request: HttpRequest, token: ScimToken, resource_id: str) -> HttpResponse:
    identity = _get(token, resource_id)
    if identity is None:
        return scim_error(404, "No such user.")
    if request.method == "GET":
        return scim_response(_project(request, user_resource(request, identity)))
    if request.method == "PUT":
        data = _body(request)
        actor = _actor(request, token)
        scim_user_update(
            actor=actor,
            organization=token.organization,
            identity=identity,
            full_name=_full_name(data),
            user_name=str(data.get("userName") or identity.user_name or identity.user.email),
        )
        if data.get("active") is False:
            scim_user_deprovision(actor=actor, organization=token.organization, identity=identity)
        elif data.get("active") is True:
            scim_user_activate(actor=actor, organization=token.organization, identity=identity)
        identity = _get(token, resource_id)
        assert identity is not None
        return scim_response(user_resource(request, identity))
    if request.method == "PATCH":
        _apply_patch(request, token, identity, _body(request))
        identity = _get(token, resource_id)
        assert identity is not None
        return scim_response(user_resource(request, identity))
    if request.method == "DELETE":
        scim_user_deprovision(
            actor=_actor(request, token), organization=token.organization, identity=identity, forget=True
        )
        return HttpResponse(status=204)
    return scim_error(405, "Method not allowed.")


GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
GROUP_FILTER = re.compile(r'^\s*displayName\s+eq\s+"([^"]*)"\s*$', re.IGNORECASE)
MEMBER_PATH = re.compile(r'^members\[value eq "([^"]*)"\]$')


def group_resource(request: HttpRequest, group: ScimGroup) -> dict[str, Any]:
    resource: dict[str, Any] = {"schemas": [GROUP_SCHEMA], "id": str(group.pk)}
    if group.external_id:
        resource["externalId"] = group.external_id
    resource["displayName"] = group.display_name
    members = [
        {
            "value": str(member.pk),
            "display": member.user.email,
            "$ref": request.build_absolute_uri(f"/scim/v2/Users/{member.pk}"),
        }
        for member in group.members.select_related("user").order_by("id")
    ]
    if members:
        resource["members"] = members
    resource["meta"] = {"resourceType": "Group", "location": request.build_absolute_uri(f"/scim/v2/Groups/{group.pk}")}
    return resource


def _member_ids(value: Any) -> list[str]:
    return [str(item.get("value")) for item in value or [] if isinstance(item, dict)]


@scim_view
def groups(request: HttpRequest, token: ScimToken) -> HttpResponse:
    if request.method == "POST":
        data = _body(request)
        group = scim_group_create(
            actor=_actor(request, token),
            organization=token.organization,
            display_name=str(data.get("displayName") or ""),
            external_id=str(data.get("externalId") or ""),
            member_ids=_member_ids(data.get("members")),
        )
        return scim_response(_project(request, group_resource(request, group)), 201)
    if request.method != "GET":
        return scim_error(405, "Method not allowed.")
    queryset = ScimGroup.objects.for_organization(token.organization).order_by("id")
    expression = request.GET.get("filter")
    if expression:
        match = GROUP_FILTER.match(expression)
        if match is None:
            return scim_error(400, 'Supported filter: displayName eq "…".', "invalidFilter")
        queryset = queryset.filter(display_name=match.group(1))
    try:
        start = max(int(request.GET.get("startIndex", "1")), 1)
        count = min(max(int(request.GET.get("count", str(MAX_COUNT))), 0), MAX_COUNT)
    except ValueError:
        return scim_error(400, "startIndex and count must be integers.", "invalidValue")
    total = queryset.count()
    page = list(queryset[start - 1 : start - 1 + count])
    return scim_response(
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(page),
            "Resources": [_project(request, group_resource(request, group)) for group in page],
        }
    )


@scim_view
def group(request: HttpRequest, token: ScimToken, resource_id: str) -> HttpResponse:
    found = (
        ScimGroup.objects.for_organization(token.organization).filter(pk=int(resource_id)).first()
        if resource_id.isdigit()
        else None
    )
    if found is None:
        return scim_error(404, "No such group.")
    actor = _actor(request, token)
    if request.method == "GET":
        return scim_response(_project(request, group_resource(request, found)))
    if request.method == "PUT":
        data = _body(request)
        updated = scim_group_update(
            actor=actor,
            organization=token.organization,
            group=found,
            display_name=str(data.get("displayName") or found.display_name),
            add=[],
            remove=[],
            replace_members=_member_ids(data.get("members")),
            external_id=str(data.get("externalId") or ""),
        )
        return scim_response(group_resource(request, updated))
    if request.method == "DELETE":
        scim_group_delete(actor=actor, organization=token.organization, group=found)
        return HttpResponse(status=204)
    if request.method != "PATCH":
        return scim_error(405, "Method not allowed.")
    data = _body(request)
    if PATCH_SCHEMA not in (data.get("schemas") or []):
        raise ValidationError({"schemas": ["A PATCH names the PatchOp schema."]}, code="invalidSyntax")
    add: list[str] = []
    remove: list[str] = []
    replace_members: list[str] | None = None
    display_name: str | None = None
    external_id: str | None = None
    for operation in data.get("Operations") or []:
        op, path, value = str(operation.get("op", "")).lower(), str(operation.get("path") or ""), operation.get("value")
        member = MEMBER_PATH.match(path)
        if path == "externalId" and op in {"add", "replace", "remove"}:
            external_id = "" if op == "remove" else str(value or "")
        elif op == "add" and path == "members":
            add.extend(_member_ids(value))
        elif op == "remove" and member:
            remove.append(member.group(1))
        elif op == "remove" and path == "members":
            remove.extend(_member_ids(value))
        elif op == "replace" and path == "members":
            replace_members = _member_ids(value)
        elif op == "replace" and path == "displayName":
            display_name = str(value)
        elif op in {"add", "replace"} and not path and isinstance(value, dict):
            display_name = str(value.get("displayName") or "") or display_name
            if "externalId" in value:
                external_id = str(value.get("externalId") or "")
        else:
            raise ValidationError({"op": [f"{op} {path} is not supported."]}, code="invalidPath")
    updated = scim_group_update(
        actor=actor,
        organization=token.organization,
        group=found,
        display_name=display_name,
        add=add,
        remove=remove,
        replace_members=replace_members,
        external_id=external_id,
    )
    return scim_response(group_resource(request, updated))


def _list(resources: list[dict[str, Any]]) -> JsonResponse:
    return scim_response(
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": len(resources),
            "startIndex": 1,
            "itemsPerPage": len(resources),
            "Resources": resources,
        }
    )


def _schema(request: HttpRequest, schema: dict[str, Any]) -> dict[str, Any]:
    location = request.build_absolute_uri(f"/scim/v2/Schemas/{schema['id']}")
    return {"schemas": [SCHEMA_SCHEMA], **schema, "meta": {"resourceType": "Schema", "location": location}}


def _resource_type(request: HttpRequest, resource_type: dict[str, Any]) -> dict[str, Any]:
    location = request.build_absolute_uri(f"/scim/v2/ResourceTypes/{resource_type['id']}")
    return {
        "schemas": [RESOURCE_TYPE_SCHEMA],
        **resource_type,
        "meta": {"resourceType": "ResourceType", "location": location},
    }


@scim_view
def schemas(request: HttpRequest, token: ScimToken, resource_id: str = "") -> HttpResponse:
    if request.method != "GET":
        return scim_error(405, "Method not allowed.")
    if not resource_id:
        return _list([_schema(request, schema) for schema in SCHEMAS.values()])
    if resource_id not in SCHEMAS:
        return scim_error(404, "No such schema.")
    return scim_response(_schema(request, SCHEMAS[resource_id]))


@scim_view
def resource_types(request: HttpRequest, token: ScimToken, resource_id: str = "") -> HttpResponse:
    if request.method != "GET":
        return scim_error(405, "Method not allowed.")
    if not resource_id:
        return _list([_resource_type(request, item) for item in RESOURCE_TYPES.values()])
    if resource_id not in RESOURCE_TYPES:
        return scim_error(404, "No such resource type.")
    return scim_response(_resource_type(request, RESOURCE_TYPES[resource_id]))


@scim_view
def service_provider_config(request: HttpRequest, token: ScimToken) -> HttpResponse:
    if request.method != "GET":
        return scim_error(405, "Method not allowed.")
    return scim_response(
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": {"supported": True},
            "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": True, "maxResults": MAX_COUNT},
            "changePassword": {"supported": False},
            "sort": {"supported": False},
            "etag": {"supported": False},
            "authenticationSchemes": [
                {"type": "oauthbearertoken", "name": "Bearer token", "description": "A token per organization."}
            ],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": request.build_absolute_uri("/scim/v2/ServiceProviderConfig"),
            },
        }
    )


@scim_view
def not_found(request: HttpRequest, token: ScimToken, rest: str) -> HttpResponse:
    if rest == ".search" and request.method == "POST":
        return scim_error(501, "Searching several resource types at once is not supported.")
    return scim_error(404, "No such SCIM endpoint.")
