"""What an organization sets so its people reach their servers: the NGC API key and the allowed networks; and what
each order chooses: the SSH keys its servers get and whether they get a public address.

Every write is atomic and audited in the same transaction; the NGC API key is stored only encrypted and appears in
no audit row, log or answer (only its last four characters are kept, to recognize it).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import AvailabilityZone, Quote
from core.secrets import decrypt_secret, encrypt_secret
from core.statements import insert_statement, statements_execute
from core.tasks import enqueue_on_commit
from provisioning.models import AllowedCidr, CloudProfile, Instance, ReservationAccess
from provisioning.service_endpoint import (
    endpoint_secrets_new,
    is_proxied,
    new_rotation_key,
    new_token,
    seal_token,
    service_ca_load,
    spki_pin,
)
from reservations.services import Booking, reservation_create
from tenants.audit import Actor, AuditEntry, audit_record, audit_statement
from tenants.models import Organization
from tenants.selectors import ssh_keys_usable_by

# Personal API keys (``nvapi-`` and 64-ish URL-safe characters) and the older NGC keys (base64, about 84 characters).
NGC_KEY_SHAPES = (re.compile(r"nvapi-[A-Za-z0-9_-]{20,200}"), re.compile(r"[A-Za-z0-9+/]{60,200}={0,2}"))
BROAD_PREFIX = 16  # a network broader than /16 (65,536 addresses) needs an explicit confirmation
MAX_ALLOWED_CIDRS = 50


# --- The NGC API key ------------------------------------------------------------------------------------------------


def ngc_api_key_check(value: str) -> str:
    """The key without surrounding whitespace, or a ``ValidationError`` saying what is wrong with its shape."""
    key = value.strip()
    if not key:
        raise ValidationError({"ngc_api_key": [_("Paste the NGC API key.")]})
    if any(character.isspace() for character in key):
        raise ValidationError(
            {"ngc_api_key": [_("The NGC API key contains spaces or line breaks: copy it again, as one piece.")]}
        )
    if not any(shape.fullmatch(key) for shape in NGC_KEY_SHAPES):
        raise ValidationError(
            {
                "ngc_api_key": [
                    _("This does not look like an NGC API key (nvapi-… from ngc.nvidia.com, Setup, API Keys).")
                ]
            }
        )
    return key


def ngc_api_key_set(*, actor: Actor, organization: Organization, ngc_api_key: str) -> CloudProfile:
    """Set or replace the organization's NGC API key (stored encrypted; the audit row says only that it changed)."""
    key = ngc_api_key_check(ngc_api_key)
    with transaction.atomic():
        profile, _created = CloudProfile.objects.for_organization(organization).get_or_create(organization=organization)
        replaced = profile.has_ngc_api_key
        profile.ngc_api_key_encrypted = encrypt_secret(key)
        profile.ngc_api_key_last4 = key[-4:]
        profile.save()
        audit_record(
            actor=actor,
            action="cloud_profile.ngc_api_key_set",
            target=profile,
            organization=organization,
            data={"replaced": replaced},
        )
    return profile


def ngc_api_key_remove(*, actor: Actor, organization: Organization) -> CloudProfile | None:
    """Remove the NGC API key; servers already running keep theirs. Removing no key changes nothing."""
    with transaction.atomic():
        profile = CloudProfile.objects.for_organization(organization).select_for_update().first()
        if profile is None or not profile.has_ngc_api_key:
            return profile
        profile.ngc_api_key_encrypted = ""
        profile.ngc_api_key_last4 = ""
        profile.save()
        audit_record(actor=actor, action="cloud_profile.ngc_api_key_removed", target=profile, organization=organization)
    return profile


# --- Allowed networks -----------------------------------------------------------------------------------------------


def cidr_check(value: str, *, confirm_broad: bool) -> str:
    """The canonical IPv4 network, or a ``ValidationError`` with the reason it cannot be allowed."""
    text = value.strip()
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValidationError(
            {"cidr": [_("%(value)s is not a network: write it like 85.214.0.0/16.") % {"value": text[:50]}]}
        ) from None
    if network.version != 4:
        raise ValidationError(
            {
                "cidr": [
                    _("Only IPv4 networks can be allowed: public addresses are IPv4 (%(value)s is IPv6).")
                    % {"value": network.with_prefixlen}
                ]
            }
        )
    if not network.is_global:
        raise ValidationError(
            {
                "cidr": [
                    _(
                        "%(value)s is a private or reserved range: it can never reach a public address. Allow the "
                        "public address your connections come from."
                    )
                    % {"value": network.with_prefixlen}
                ]
            }
        )
    if network.prefixlen < BROAD_PREFIX and not confirm_broad:
        raise ValidationError(
            {
                "confirm_broad": [
                    _("%(value)s opens your servers to %(count)s addresses%(internet)s. Confirm that you want this.")
                    % {
                        "value": network.with_prefixlen,
                        "count": f"{network.num_addresses:,}",
                        "internet": _(" — the whole internet") if network.prefixlen == 0 else "",
                    }
                ]
            },
            code="confirmation_required",
        )
    return network.with_prefixlen


def allowed_cidr_add(
    *, actor: Actor, organization: Organization, cidr: str, description: str = "", confirm_broad: bool = False
) -> AllowedCidr:
    canonical = cidr_check(cidr, confirm_broad=confirm_broad)
    description = description.strip()
    if len(description) > 100:
        raise ValidationError({"description": [_("Use at most 100 characters.")]})
    existing = AllowedCidr.objects.for_organization(organization)
    if existing.filter(cidr=canonical).exists():
        raise ValidationError({"cidr": [_("%(value)s is allowed already.") % {"value": canonical}]})
    if existing.count() >= MAX_ALLOWED_CIDRS:
        raise ValidationError(
            {"cidr": [_("At most %(count)s networks can be allowed.") % {"count": MAX_ALLOWED_CIDRS}]}
        )
    with transaction.atomic():
        allowed = AllowedCidr.objects.create(
            organization=organization,
            cidr=canonical,
            description=description,
            broad_confirmed=ipaddress.ip_network(canonical).prefixlen < BROAD_PREFIX,
        )
        audit_record(
            actor=actor,
            action="allowed_cidr.added",
            target=allowed,
            organization=organization,
            data={"cidr": canonical, "broad_confirmed": allowed.broad_confirmed},
        )
    return allowed


def allowed_cidr_remove(*, actor: Actor, organization: Organization, allowed: AllowedCidr) -> None:
    """Stop allowing a network for new reservations (running ones keep their security group as it was)."""
    if allowed.organization_id != organization.pk:
        raise ValidationError(_("There is no such network."), code="not_found")
    with transaction.atomic():
        audit_record(
            actor=actor, action="allowed_cidr.removed", target=allowed, organization=organization,
            data={"cidr": allowed.cidr},
        )  # fmt: skip
        AllowedCidr.objects.for_organization(organization).filter(pk=allowed.pk).delete()


def allowed_cidr_list(*, organization: Organization) -> list[str]:
    return list(AllowedCidr.objects.for_organization(organization).order_by("cidr").values_list("cidr", flat=True))


# --- Ordering with access -------------------------------------------------------------------------------------------


def reservation_order(
    *,
    actor: Actor,
    organization: Organization,
    quote: Quote,
    zone: AvailabilityZone | None = None,
    idempotency_key: str = "",
    request_hash: str = "",
    ssh_key_ids: Sequence[int] | None = None,
    public_address: bool = False,
    purchase_order_reference: str = "",
) -> Booking:
    """Book the quote (``reservation_create``, with the customer's PO reference) and record, in the same
    transaction, how its servers are reached.

    ``ssh_key_ids`` None means the default: the orderer's own keys and the organization's shared ones; an empty list
    means none. Each key must be one the orderer may use (their own or shared) — another organization's key or
    another member's is refused like a missing one. A public address needs at least one allowed network, or nobody
    could reach it. A retried order (same ``Idempotency-Key``) returns the reservation with the access it got first.
    """
    usable = ssh_keys_usable_by(organization=organization, user=actor.user)
    if ssh_key_ids is None:
        keys = usable
    else:
        wanted = list(dict.fromkeys(ssh_key_ids))
        by_id = {key.pk: key for key in usable}
        missing = sorted(key_id for key_id in wanted if key_id not in by_id)
        if missing:
            raise ValidationError(
                {"ssh_keys": [_("There is no SSH key %(ids)s you can use.") % {"ids": ", ".join(map(str, missing))}]}
            )
        keys = [by_id[key_id] for key_id in wanted]
    if public_address and not allowed_cidr_list(organization=organization):
        raise ValidationError(
            {
                "public_address": [
                    _("Allow at least one network first: a public address is reachable only from allowed networks.")
                ]
            }
        )
    with transaction.atomic():
        booking = reservation_create(
            actor=actor,
            organization=organization,
            quote=quote,
            zone=zone,
            idempotency_key=idempotency_key,
            request_hash=request_hash,
            purchase_order_reference=purchase_order_reference,
        )
        if booking.created:
            item = quote.item_version.item
            endpoint = (
                endpoint_secrets_new(reservation_id=booking.reservation.pk, ca=service_ca_load())
                if is_proxied(item_kind=item.kind, item_slug=item.slug)
                else None
            )
            access = ReservationAccess(
                organization=organization,
                reservation=booking.reservation,
                public_address=public_address,
                ssh_keys=[{"name": k.name, "fingerprint": k.fingerprint, "public_key": k.public_key} for k in keys],
                service_token_encrypted=encrypt_secret(endpoint.token) if endpoint else "",
                tls_certificate=endpoint.certificate_pem if endpoint else "",
                tls_key_encrypted=encrypt_secret(endpoint.private_key_pem) if endpoint else "",
                tls_fingerprint=endpoint.fingerprint if endpoint else "",
                rotation_key_encrypted=encrypt_secret(new_rotation_key()) if endpoint else "",
            )
            chosen = AuditEntry(
                action="reservation.access_chosen",
                target=booking.reservation,
                organization=organization,
                data={"ssh_keys": access.fingerprints, "public_address": public_address},
            )
            # The access row and its audit row in one round trip (every order writes both).
            statements_execute(
                [insert_statement([access], prefix="access"), audit_statement(actor=actor, entries=[chosen])]
            )
    return booking


def service_token_reveal(*, actor: Actor, access: ReservationAccess) -> str:
    """The reservation's bearer token, for the customer to copy; every reveal is audited (without the token)."""
    if not access.has_secured_endpoint:
        raise ValidationError(_("This reservation has no secured service endpoint."), code="invalid_state")
    with transaction.atomic():
        audit_record(
            actor=actor, action="reservation.service_token_revealed", target=access.reservation,
            organization=access.organization,
        )  # fmt: skip
    return decrypt_secret(access.service_token_encrypted)


ROTATION_TASK = "provisioning.push_service_token"


def service_token_rotate(*, actor: Actor, access: ReservationAccess) -> ReservationAccess:
    """A new bearer token for the reservation's endpoint; the old one stops working.

    Kontor answers with the new token at once. Servers created from now on boot with it; running servers get it
    sealed in their metadata (a task after the commit, ``provisioning.network.service_token_push``) and their timer
    swaps the proxy's token within about a minute (see ``provisioning.service_endpoint``). Endpoints made before
    rotation existed have no timer: their running servers keep the old token until they are replaced.
    """
    if not access.has_secured_endpoint:
        raise ValidationError(_("This reservation has no secured service endpoint."), code="invalid_state")
    with transaction.atomic():
        locked = ReservationAccess.objects.for_organization(access.organization).select_for_update().get(pk=access.pk)
        token = new_token()
        locked.service_token_encrypted = encrypt_secret(token)
        locked.service_token_sealed = (
            seal_token(token=token, rotation_key=decrypt_secret(locked.rotation_key_encrypted))
            if locked.rotation_key_encrypted
            else ""
        )
        locked.service_token_rotated_at = timezone.now()
        locked.save(update_fields=["service_token_encrypted", "service_token_sealed", "service_token_rotated_at"])
        audit_record(
            actor=actor,
            action="reservation.service_token_rotated",
            target=access.reservation,
            organization=access.organization,
            data={"running_servers_follow": bool(locked.rotation_key_encrypted)},
        )
        if locked.service_token_sealed:
            enqueue_on_commit(ROTATION_TASK, locked.reservation_id)
    return locked


def service_curl_example(*, access: ReservationAccess, token: str) -> str:
    """A request against the first server. With the operator's CA: verified against it, the certificate's name
    resolved to the server's address (``--resolve``: it was issued before the address existed). Self-signed: ``-k``
    with ``--pinnedpubkey``, so that curl accepts only this one certificate."""
    first = Instance.objects.for_organization(access.organization).filter(reservation_id=access.reservation_id).first()
    url = (first.service_url if first is not None and first.service_url else "https://<address>:8443/") + "v1/models"
    header = f'-H "Authorization: Bearer {token}"'
    if access.tls_issuer:
        host = f"kontor-reservation-{access.reservation_id}"
        address = url.split("//", 1)[1].split(":", 1)[0]
        return (
            f"curl --cacert kontor-service-ca.pem --resolve {host}:8443:{address} {header} "
            f"https://{host}:8443/v1/models"
        )
    return f'curl -k --pinnedpubkey "{spki_pin(access.tls_certificate)}" {header} {url}'
