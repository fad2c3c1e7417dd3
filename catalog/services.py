"""Every write of the price book and of quotes. Each service is atomic and audits in the same transaction.

Catalog items, versions and hardware are written by operators in the console (``catalog.admin``, audited) and by
the seed (``catalog.seeding``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.choices import (
    COMMITMENT_MIN_HOURS,
    CURRENCY,
    MAX_INSTANCES_PER_ORDER,
    MAX_START_AHEAD,
    MAX_WINDOW_HOURS,
    PAID_LICENSES,
    QUOTE_VALIDITY,
    START_GRACE,
    Commitment,
    License,
)
from catalog.compatibility import check_compatible
from catalog.models import (
    CatalogItemVersion,
    ComputePrice,
    Flavor,
    LicensePrice,
    PriceList,
    Quote,
    QuoteLine,
)
from catalog.pricing import SECONDS_PER_HOUR, price_quote
from catalog.selectors import flavor_list, price_list_in_effect, price_table
from core.vat import vat_treatment
from tenants.audit import Actor, audit_record
from tenants.models import Organization

# --- Price lists ---------------------------------------------------------------------------------------------------


class PriceListFrozenError(ValidationError):
    """A published price list cannot be changed; create a new draft instead."""


def _frozen_error(price_list: PriceList) -> PriceListFrozenError:
    return PriceListFrozenError(
        _("The price list %(name)s is published and cannot be changed; copy it as a new draft.")
        % {"name": price_list.name},
        code="price_list_frozen",
    )


def _lock_draft(price_list: PriceList) -> PriceList:
    locked = PriceList.objects.select_for_update().get(pk=price_list.pk)
    if locked.is_published:
        raise _frozen_error(locked)
    return locked


def _validate_unit_price(unit_price: Decimal, *, allow_zero: bool) -> None:
    if not isinstance(unit_price, Decimal):
        raise TypeError(f"Prices are Decimal, never {type(unit_price).__name__}.")
    exponent = unit_price.as_tuple().exponent
    if not unit_price.is_finite() or (isinstance(exponent, int) and exponent < -4):
        raise ValidationError({"unit_price": [_("A price has at most four decimal places.")]})
    if unit_price < 0:
        raise ValidationError({"unit_price": [_("A price cannot be negative.")]})
    if unit_price == 0 and not allow_zero:
        raise ValidationError({"unit_price": [_("A compute price must be more than zero.")]})


def _unique_name(base: str) -> str:
    name, counter = base[:100], 2
    while PriceList.objects.filter(name=name).exists():
        suffix = f" ({counter})"
        name = base[: 100 - len(suffix)] + suffix
        counter += 1
    return name


def price_list_create_draft(*, actor: Actor, name: str, notes: str = "") -> PriceList:
    name = name.strip()
    if not name:
        raise ValidationError({"name": [_("A price list needs a name.")]})
    if PriceList.objects.filter(name=name).exists():
        raise ValidationError({"name": [_("A price list named %(name)s exists already.") % {"name": name}]})
    with transaction.atomic():
        price_list = PriceList.objects.create(name=name, notes=notes, created_by_label=actor.label[:254])
        audit_record(actor=actor, action="price_list.created", target=price_list, organization=None)
    return price_list


def price_list_copy_as_draft(*, actor: Actor, source: PriceList, name: str = "") -> PriceList:
    """A new draft with all prices of ``source``: how operators change prices once a list is published."""
    with transaction.atomic():
        draft = PriceList.objects.create(
            name=_unique_name(name.strip() or _("Copy of %(name)s") % {"name": source.name}),
            notes=source.notes,
            created_by_label=actor.label[:254],
        )
        ComputePrice.objects.bulk_create(
            ComputePrice(
                price_list=draft, flavor_id=row.flavor_id, commitment=row.commitment, unit_price=row.unit_price
            )
            for row in ComputePrice.objects.filter(price_list=source)
        )
        LicensePrice.objects.bulk_create(
            LicensePrice(price_list=draft, license=row.license, commitment=row.commitment, unit_price=row.unit_price)
            for row in LicensePrice.objects.filter(price_list=source)
        )
        audit_record(
            actor=actor,
            action="price_list.copied",
            target=draft,
            organization=None,
            data={"source": source.pk, "source_name": source.name},
        )
    return draft


def price_list_set_compute_price(
    *, actor: Actor, price_list: PriceList, flavor: Flavor, commitment: Commitment, unit_price: Decimal
) -> ComputePrice:
    """Set the price per GPU-hour of a flavor under a commitment in a draft price list."""
    _validate_unit_price(unit_price, allow_zero=False)
    with transaction.atomic():
        locked = _lock_draft(price_list)
        row, _created = ComputePrice.objects.update_or_create(
            price_list=locked, flavor=flavor, commitment=commitment, defaults={"unit_price": unit_price}
        )
        audit_record(
            actor=actor,
            action="price_list.compute_price_set",
            target=locked,
            organization=None,
            data={"flavor": flavor.slug, "commitment": str(commitment), "unit_price": str(unit_price)},
        )
    return row


def price_list_set_license_price(
    *, actor: Actor, price_list: PriceList, license: License, commitment: Commitment, unit_price: Decimal
) -> LicensePrice:
    """Set the add-on per GPU-hour of a paid license under a commitment in a draft (zero: included)."""
    if license not in PAID_LICENSES:
        raise ValidationError({"license": [_("Free software has no license price.")]})
    _validate_unit_price(unit_price, allow_zero=True)
    with transaction.atomic():
        locked = _lock_draft(price_list)
        row, _created = LicensePrice.objects.update_or_create(
            price_list=locked, license=license, commitment=commitment, defaults={"unit_price": unit_price}
        )
        audit_record(
            actor=actor,
            action="price_list.license_price_set",
            target=locked,
            organization=None,
            data={"license": str(license), "commitment": str(commitment), "unit_price": str(unit_price)},
        )
    return row


def price_list_remove_price(*, actor: Actor, price: ComputePrice | LicensePrice) -> None:
    """Remove one price from a draft price list."""
    with transaction.atomic():
        locked = _lock_draft(price.price_list)
        data = {"price": str(price)}
        type(price).objects.filter(pk=price.pk).delete()
        audit_record(actor=actor, action="price_list.price_removed", target=locked, organization=None, data=data)


def price_list_missing_prices(price_list: PriceList) -> list[str]:
    """What a draft lacks before it can be published: every offered flavor and paid license, every commitment."""
    compute = set(ComputePrice.objects.filter(price_list=price_list).values_list("flavor_id", "commitment"))
    licenses = set(LicensePrice.objects.filter(price_list=price_list).values_list("license", "commitment"))
    missing = [
        f"{flavor.slug} / {commitment.label}"
        for flavor in flavor_list()
        for commitment in Commitment
        if (flavor.pk, commitment.value) not in compute
    ]
    missing += [
        f"{license.label} / {commitment.label}"
        for license in PAID_LICENSES
        for commitment in Commitment
        if (license.value, commitment.value) not in licenses
    ]
    return missing


def price_list_publish(
    *, actor: Actor, price_list: PriceList, effective_from: datetime | None = None, now: datetime | None = None
) -> PriceList:
    """Publish a draft: it takes effect at ``effective_from`` (default: the draft's planned date, else now) and is
    frozen from now on. Refuses a date in the past, a date another published list already takes effect at, and a
    list that does not price every offered flavor and paid license under every commitment.

    ``now`` is the moment of publishing (default: the clock); the demo data publishes its launch list back then."""
    with transaction.atomic():
        locked = _lock_draft(price_list)
        now = now or timezone.now()
        effective = effective_from or locked.effective_from or now
        if effective < now - START_GRACE:
            raise ValidationError(
                {"effective_from": [_("A price list cannot take effect in the past; quotes were made meanwhile.")]}
            )
        effective = max(effective, now)
        if PriceList.objects.filter(published_at__isnull=False, effective_from=effective).exists():
            raise ValidationError(
                {"effective_from": [_("Another published price list takes effect at exactly this time.")]}
            )
        missing = price_list_missing_prices(locked)
        if missing:
            raise ValidationError(
                {"compute_prices": [_("Prices are missing for: %(missing)s.") % {"missing": ", ".join(missing)}]}
            )
        locked.effective_from = effective
        locked.published_at = now
        locked.save(update_fields=["effective_from", "published_at"])
        audit_record(
            actor=actor,
            action="price_list.published",
            target=locked,
            organization=None,
            data={"effective_from": effective.isoformat()},
        )
    price_list.refresh_from_db()
    return price_list


def price_list_withdraw(*, actor: Actor, price_list: PriceList) -> PriceList:
    """Take a published list that has not taken effect yet back to a draft. One in effect never changes."""
    with transaction.atomic():
        locked = PriceList.objects.select_for_update().get(pk=price_list.pk)
        if not locked.is_published:
            raise ValidationError(_("The price list %(name)s is a draft already.") % {"name": locked.name})
        if locked.has_taken_effect():
            raise _frozen_error(locked)
        locked.published_at = None
        locked.save(update_fields=["published_at"])
        audit_record(actor=actor, action="price_list.withdrawn", target=locked, organization=None)
    price_list.refresh_from_db()
    return price_list


# --- Quotes --------------------------------------------------------------------------------------------------------


def _window_errors(*, starts_at: datetime, ends_at: datetime, commitment: str, now: datetime) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if starts_at < now - START_GRACE:
        errors.setdefault("starts_at", []).append(_("The window starts in the past; choose a start from now on."))
    elif starts_at > now + MAX_START_AHEAD:
        errors.setdefault("starts_at", []).append(
            _("A window starts at most %(days)d days from now.") % {"days": MAX_START_AHEAD.days}
        )
    if ends_at <= starts_at:
        errors.setdefault("ends_at", []).append(_("The window ends before it starts."))
        return errors
    seconds = int((ends_at - starts_at).total_seconds())
    if seconds < SECONDS_PER_HOUR:
        errors.setdefault("ends_at", []).append(_("The window must last at least one hour."))
    elif seconds % SECONDS_PER_HOUR:
        errors.setdefault("ends_at", []).append(_("The window must last a whole number of hours."))
    hours = seconds // SECONDS_PER_HOUR
    if hours > MAX_WINDOW_HOURS:
        errors.setdefault("ends_at", []).append(
            _("A window lasts at most %(days)d days.") % {"days": MAX_WINDOW_HOURS // 24}
        )
    if commitment in Commitment.values and hours >= 1:
        minimum = COMMITMENT_MIN_HOURS[Commitment(commitment)]
        if hours < minimum:
            errors.setdefault("commitment", []).append(
                _("%(commitment)s needs a window of at least %(days)d days (%(hours)d hours).")
                % {"commitment": Commitment(commitment).label, "days": minimum // 24, "hours": minimum}
            )
    return errors


def quote_create(
    *,
    actor: Actor,
    organization: Organization,
    version: CatalogItemVersion,
    flavor: Flavor,
    instance_count: int,
    commitment: str,
    starts_at: datetime,
    ends_at: datetime,
    currency: str = CURRENCY,
    now: datetime | None = None,
) -> Quote:
    """Price running ``version`` on ``instance_count`` instances of ``flavor`` for the window, at the price list in
    effect now, with the organization's VAT treatment; stores the quote and its lines, valid for ``QUOTE_VALIDITY``.

    Refuses (``ValidationError`` keyed by field, nothing stored): an unpublished item or inactive flavor, an unknown
    commitment, a currency other than EUR, an instance count outside 1..``MAX_INSTANCES_PER_ORDER``, a window in
    the past, ending before it starts, not whole hours, too long or too far ahead, shorter than the commitment,
    an incompatible item and flavor (every reason), no price list in effect or no price for the flavor.

    ``now`` is the moment of quoting (default: the clock); the demo data quotes its history back then.
    """
    now = now or timezone.now()
    starts_at = starts_at.replace(microsecond=0)
    ends_at = ends_at.replace(microsecond=0)
    item = version.item
    errors: dict[str, list[str]] = {}
    if not item.is_published:
        errors["item"] = [_("There is no catalog item %(slug)s.") % {"slug": item.slug}]
    if not flavor.is_active:
        errors["flavor"] = [_("The flavor %(slug)s is not offered.") % {"slug": flavor.slug}]
    if commitment not in Commitment.values:
        errors["commitment"] = [_("Unknown commitment %(value)s.") % {"value": commitment}]
    if currency.strip().upper() != CURRENCY:
        errors["currency"] = [
            _("Kontor quotes in EUR only; %(currency)s is not accepted.") % {"currency": currency or "—"}
        ]
    if not 1 <= instance_count <= MAX_INSTANCES_PER_ORDER:
        errors["instance_count"] = [
            _("Order between 1 and %(max)d instances of %(flavor)s.")
            % {"max": MAX_INSTANCES_PER_ORDER, "flavor": flavor.name}
        ]
    for field, messages in _window_errors(starts_at=starts_at, ends_at=ends_at, commitment=commitment, now=now).items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    check_compatible(version, flavor)

    with transaction.atomic():
        price_list = price_list_in_effect(at=now)
        if price_list is None:
            raise ValidationError(
                _("No price list is in effect yet; quotes are not possible right now."), code="no_price_list"
            )
        table = price_table(price_list)
        compute_unit_price = table.compute_price(flavor, commitment)
        if compute_unit_price is None:
            raise ValidationError(
                {"flavor": [_("%(flavor)s has no price for this commitment yet.") % {"flavor": flavor.name}]}
            )
        license_unit_price = table.license_price(item.license, commitment)
        vat = vat_treatment(organization)
        pricing = price_quote(
            flavor_name=flavor.name,
            gpus_per_instance=flavor.gpu_count,
            instance_count=instance_count,
            window_seconds=int((ends_at - starts_at).total_seconds()),
            commitment=Commitment(commitment),
            compute_unit_price=compute_unit_price,
            license_name=str(License(item.license).label) if item.is_licensed else None,
            license_unit_price=license_unit_price,
            vat=vat,
        )
        quote = Quote.objects.create(
            organization=organization,
            item_version=version,
            flavor=flavor,
            instance_count=instance_count,
            commitment=commitment,
            starts_at=starts_at,
            ends_at=ends_at,
            currency=CURRENCY,
            price_list=price_list,
            compute_unit_price=compute_unit_price,
            license_unit_price=license_unit_price,
            net_amount=pricing.net_amount,
            vat_category=vat.category,
            vat_rate=vat.rate,
            vat_amount=pricing.vat_amount,
            vat_note=vat.note[:300],
            gross_amount=pricing.gross_amount,
            created_at=now,
            valid_until=now + QUOTE_VALIDITY,
            created_by_label=actor.label[:254],
        )
        QuoteLine.objects.bulk_create(
            QuoteLine(
                organization=organization,
                quote=quote,
                position=position,
                kind=line.kind,
                description=line.description[:240],
                quantity=line.quantity,
                unit_price=line.unit_price,
                net_amount=line.net_amount,
            )
            for position, line in enumerate(pricing.lines, start=1)
        )
        audit_record(
            actor=actor,
            action="quote.created",
            target=quote,
            organization=organization,
            data={
                "item": item.slug,
                "version": version.tag,
                "flavor": flavor.slug,
                "instance_count": instance_count,
                "commitment": commitment,
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat(),
                "price_list": price_list.pk,
                "net": str(pricing.net_amount),
                "vat": str(pricing.vat_amount),
                "gross": str(pricing.gross_amount),
            },
        )
    return quote
