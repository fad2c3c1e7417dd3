"""Portal pages for reservations: the organization's reservations and the open quotes to book, one reservation with
its GPUs and what can be done with it (cancel, release, extend), the capacity calendar and the GPU quota.

Views validate input with forms and call ``reservations.services``; a service's refusal (a ``ValidationError``) is
shown on the page in the user's language. Refusals render the page with 200 and the reason in an alert, as the
other form pages do.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.models import AvailabilityZone, Quote
from catalog.selectors import flavor_list, gpu_model_list, quote_get_bookable, quote_list, zone_list
from core.datetimes import format_datetime
from metering.selectors import reservation_cost
from provisioning.cloud_access import reservation_order
from provisioning.selectors import reservation_instances
from reservations import rules, services
from reservations.availability import capacity_calendar
from reservations.choices import ReservationKind, ReservationState
from reservations.models import Reservation
from reservations.selectors import (
    quota_request_list,
    reservation_actions,
    reservation_get,
    reservation_ids_by_quote,
    reservation_list,
)
from reservations.web.chart import capacity_chart, fold_into_days
from reservations.web.forms import BookForm, CapacityForm, ConfirmForm, ExtendForm, Period, QuotaRequestForm
from reservations.web.ordering import ssh_key_choices
from tenants.audit import Actor
from tenants.permissions import Action
from tenants.web.access import OrganizationAccess, account_page, organization_view
from tenants.web.forms import add_service_errors

RESERVATIONS_PER_PAGE = 25
# "Booked now" on the quota page: GPUs held at some moment of this instant.
NOW_WINDOW = timedelta(seconds=1)


def _reservation_or_404(access: OrganizationAccess, reservation_id: int) -> Reservation:
    """The organization's reservation; another organization's is the same 404 as a missing one."""
    reservation = reservation_get(organization=access.organization, reservation_id=reservation_id)
    if reservation is None:
        raise Http404
    return reservation


def _detail_redirect(access: OrganizationAccess, reservation: Reservation) -> HttpResponse:
    return redirect(
        "portal:reservation-detail", organization_slug=access.organization.slug, reservation_id=reservation.pk
    )


# --- The list and booking ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlternativeOffer:
    """Where or how the order would fit now. ``book_in_zone``: the same quote fits in that zone as it is."""

    zone_name: str
    flavor_name: str
    instance_count: int
    starts_at: datetime
    book_in_zone: BookForm | None


@dataclass
class BookingProblem:
    """Why the last booking did not happen, shown in an alert above the open quotes."""

    messages: list[str]
    quote_id: int | None = None
    item_slug: str = ""  # where to get a quote for an alternative flavor
    zone: str = ""
    no_capacity: bool = False
    earliest_start: datetime | None = None
    alternatives: list[AlternativeOffer] = field(default_factory=list)


def _open_quotes(access: OrganizationAccess) -> list[Quote]:
    return list(quote_list(organization=access.organization).filter(valid_until__gt=timezone.now()))


def _reservations_page(
    request: HttpRequest, access: OrganizationAccess, problem: BookingProblem | None = None
) -> HttpResponse:
    organization = access.organization
    page = Paginator(reservation_list(organization=organization).order_by("-id"), RESERVATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    may_book = access.allows(Action.RESERVATIONS_MANAGE)
    offers = []
    if may_book:
        zones = list(zone_list())
        quotes = _open_quotes(access)
        booked = reservation_ids_by_quote(organization=organization, quote_ids=[quote.pk for quote in quotes])
        for quote in quotes:
            zone = problem.zone if problem is not None and problem.quote_id == quote.pk else ""
            offers.append((quote, BookForm.for_quote(quote.pk, zones=zones, zone=zone), booked.get(quote.pk, [])))
    response = render(
        request,
        "reservations/reservation_list.html",
        {
            "organization": organization,
            "page": page,
            "may_book": may_book,
            "may_request_quota": access.allows(Action.QUOTA_REQUEST),
            "offers": offers,
            "problem": problem,
        },
    )
    add_never_cache_headers(response)  # its forms carry one-time keys: going back must not reuse them
    return response


@require_GET
@organization_view(Action.RESERVATIONS_VIEW)
def reservation_list_page(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    return _reservations_page(request, access)


def _alternative_offers(
    quote: Quote, error: services.NoCapacityError, zones: list[AvailabilityZone]
) -> list[AlternativeOffer]:
    """The service's alternatives by name; one in another zone with the same flavor can be booked from the same
    quote straight away (a form of its own, with its own key)."""
    zone_names = {zone.slug: zone.display_name for zone in zones}
    flavors = {flavor.slug: flavor.name for flavor in flavor_list(include_inactive=True)}
    return [
        AlternativeOffer(
            zone_name=zone_names.get(alternative.zone, alternative.zone),
            flavor_name=flavors.get(alternative.flavor, alternative.flavor),
            instance_count=alternative.instance_count,
            starts_at=alternative.starts_at,
            book_in_zone=(
                BookForm.for_quote(quote.pk, zones=zones, zone=alternative.zone, auto_id=False)
                if alternative.flavor == quote.flavor.slug and alternative.instance_count == quote.instance_count
                else None
            ),
        )
        for alternative in error.alternatives
    ]


@require_POST
@organization_view(Action.RESERVATIONS_MANAGE)
def reservation_book(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    zones = list(zone_list())
    form = BookForm(request.POST, zones=zones, ssh_keys=ssh_key_choices(access.organization, access.membership))
    if not form.is_valid():
        problem = BookingProblem([str(message) for errors in form.errors.values() for message in errors])
        return _reservations_page(request, access, problem)
    quote_id: int = form.cleaned_data["quote"]
    zone_slug: str = form.cleaned_data["zone"]
    zone: AvailabilityZone | None = next((zone for zone in zones if zone.slug == zone_slug), None)
    try:
        quote = quote_get_bookable(organization=access.organization, quote_id=quote_id)
        ssh_key_ids: list[int] = form.cleaned_data["ssh_keys"]
        public_address: bool = form.cleaned_data["public_address"]
        purchase_order_reference: str = form.cleaned_data["purchase_order_reference"]
        booking = reservation_order(
            actor=Actor.from_request(request),
            organization=access.organization,
            quote=quote,
            zone=zone,
            idempotency_key=str(form.cleaned_data["idempotency_key"]),
            request_hash=services.request_fingerprint(
                {
                    "quote": quote.pk,
                    "zone": zone_slug or None,
                    "ssh_keys": ssh_key_ids,
                    "public_address": public_address,
                    "purchase_order_reference": purchase_order_reference,
                }
            ),
            ssh_key_ids=ssh_key_ids,
            public_address=public_address,
            purchase_order_reference=purchase_order_reference,
        )
    except services.NoCapacityError as exc:
        problem = BookingProblem(
            exc.messages,
            quote_id=quote_id,
            zone=zone_slug,
            item_slug=quote.item_version.item.slug,
            no_capacity=True,
            earliest_start=exc.earliest_start,
            alternatives=_alternative_offers(quote, exc, zones),
        )
        return _reservations_page(request, access, problem)
    except ValidationError as exc:
        if getattr(exc, "code", None) == "idempotency_key_reused":
            # The page was sent before with other choices (e.g. after going back): a reloaded page has new keys.
            reason = [_("This form was already sent with other choices. Please choose again and book.")]
        else:
            reason = exc.messages
        return _reservations_page(request, access, BookingProblem(reason, quote_id=quote_id, zone=zone_slug))
    reservation = booking.reservation
    if booking.created:
        messages.success(
            request,
            _("Reservation %(id)s is booked: %(gpus)d GPUs in %(zone)s.")
            % {"id": reservation.pk, "gpus": reservation.gpu_count, "zone": reservation.zone.display_name},
        )
    else:
        messages.info(request, _("This form was sent before; this is the reservation it booked."))
    return _detail_redirect(access, reservation)


# --- One reservation --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExtensionRefusal:
    message: str
    possible_until: datetime | None


# While servers start or stop, the instances section refreshes itself (htmx polling; a reload does the same).
IN_MOTION = (ReservationState.PROVISIONING, ReservationState.ENDING)


# The CSRF token in the instance forms is masked afresh on every render; it is no change the page needs to fetch.
_CSRF_INPUT = re.compile(r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]*">')


def _instances_context(request: HttpRequest, reservation: Reservation, access: OrganizationAccess) -> dict[str, Any]:
    """The servers section: its status line (the page's live region), its polled part, and a version of both.

    The page polls with the version it shows; the fragment view answers 204 (htmx swaps nothing) while nothing
    changed, so the live region announces a change once and the forms in the section keep what is typed in them.
    """
    instances = reservation_instances(reservation=reservation)
    running = sum(1 for instance in instances if instance.state == "running")
    context: dict[str, Any] = {
        "organization": access.organization,
        "reservation": reservation,
        "instances": instances,
        "instances_running": running,
        "instances_progress": round(100 * running / reservation.instance_count) if reservation.instance_count else 0,
        "instances_polling": reservation.state in IN_MOTION,
        # Rename, reboot and the console log (provisioning/web/views.py), for those who manage reservations.
        "may_manage": access.allows(Action.RESERVATIONS_MANAGE),
    }
    status = render_to_string("reservations/_instances_status.html", context, request)
    content = render_to_string("reservations/_instances_content.html", context, request)
    seen = f"{context['instances_polling']}\n{status}\n{_CSRF_INPUT.sub('', content)}"
    version = hashlib.sha256(seen.encode()).hexdigest()[:16]
    return {
        **context,
        "instances_status": mark_safe(status),  # noqa: S308  # rendered by our own template, escaped there
        "instances_content": mark_safe(content),  # noqa: S308  # rendered by our own template, escaped there
        "instances_version": version,
    }


@require_GET
@organization_view(Action.RESERVATIONS_VIEW)
def reservation_instances_fragment(
    request: HttpRequest, access: OrganizationAccess, reservation_id: int
) -> HttpResponse:
    """What the reservation page polls: 204 while the section is as the page shows it (``seen``), else its new state."""
    reservation = _reservation_or_404(access, reservation_id)
    context = _instances_context(request, reservation, access)
    if request.GET.get("seen") == context["instances_version"]:
        return HttpResponse(status=204)
    return render(request, "reservations/_instances_poll.html", context)


def _detail_page(
    request: HttpRequest,
    access: OrganizationAccess,
    reservation: Reservation,
    extend_form: ExtendForm | None = None,
    refusal: ExtensionRefusal | None = None,
) -> HttpResponse:
    actions = reservation_actions(reservation=reservation)
    if extend_form is None and actions.extend and reservation.ends_at is not None:
        extend_form = ExtendForm(initial={"ends_at": reservation.ends_at + timedelta(days=1)})
    allocations = [
        (
            allocation,
            ", ".join(str(gpu) for gpu in range(allocation.gpu_first, allocation.gpu_first + allocation.gpu_count)),
        )
        for allocation in reservation.live_allocations  # type: ignore[attr-defined]  # prefetched by the selector
    ]
    return render(
        request,
        "reservations/reservation_detail.html",
        {
            "organization": access.organization,
            "reservation": reservation,
            "allocations": allocations,
            **_instances_context(request, reservation, access),
            "actions": actions if access.allows(Action.RESERVATIONS_MANAGE) else None,
            "extend_form": extend_form,
            "refusal": refusal,
            "is_reserved": reservation.kind == ReservationKind.RESERVED,
            "cost": reservation_cost(reservation=reservation, at=timezone.now()),
        },
    )


@require_GET
@organization_view(Action.RESERVATIONS_VIEW)
def reservation_detail(request: HttpRequest, access: OrganizationAccess, reservation_id: int) -> HttpResponse:
    return _detail_page(request, access, _reservation_or_404(access, reservation_id))


def _confirmed(request: HttpRequest) -> bool:
    form = ConfirmForm(request.POST)
    return form.is_valid() and bool(form.cleaned_data["confirm"])


def _confirm_page(
    request: HttpRequest, access: OrganizationAccess, reservation: Reservation, action: str
) -> HttpResponse:
    return render(
        request,
        "reservations/reservation_confirm.html",
        {
            "organization": access.organization,
            "reservation": reservation,
            "action": action,
            # After the start, cancelling is an early release: the page says what that costs.
            "free": action == "cancel" and reservation_actions(reservation=reservation).cancel,
            "is_reserved": reservation.kind == ReservationKind.RESERVED,
        },
    )


@require_POST
@organization_view(Action.RESERVATIONS_MANAGE)
def reservation_cancel(request: HttpRequest, access: OrganizationAccess, reservation_id: int) -> HttpResponse:
    """Two steps: without ``confirm`` the page says what cancelling costs and asks; with it, cancels."""
    reservation = _reservation_or_404(access, reservation_id)
    if not _confirmed(request):
        return _confirm_page(request, access, reservation, "cancel")
    try:
        services.reservation_cancel(actor=Actor.from_request(request), reservation=reservation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Reservation %(id)s is cancelled.") % {"id": reservation.pk})
    return _detail_redirect(access, reservation)


@require_POST
@organization_view(Action.RESERVATIONS_MANAGE)
def reservation_release(request: HttpRequest, access: OrganizationAccess, reservation_id: int) -> HttpResponse:
    """Two steps, like cancelling."""
    reservation = _reservation_or_404(access, reservation_id)
    if not _confirmed(request):
        return _confirm_page(request, access, reservation, "release")
    try:
        services.reservation_release(actor=Actor.from_request(request), reservation=reservation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Reservation %(id)s is being released; its servers are removed now.") % {"id": reservation.pk}
        )
    return _detail_redirect(access, reservation)


@require_POST
@organization_view(Action.RESERVATIONS_MANAGE)
def reservation_extend(request: HttpRequest, access: OrganizationAccess, reservation_id: int) -> HttpResponse:
    reservation = _reservation_or_404(access, reservation_id)
    form = ExtendForm(request.POST)
    refusal = None
    if form.is_valid():
        try:
            extended = services.reservation_extend(
                actor=Actor.from_request(request), reservation=reservation, ends_at=form.cleaned_data["ends_at"]
            )
        except services.ExtensionRefusedError as exc:
            refusal = ExtensionRefusal(" ".join(exc.messages), exc.possible_until)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            assert extended.ends_at is not None
            messages.success(
                request,
                _("Reservation %(id)s now ends %(time)s, on the same GPUs.")
                % {"id": extended.pk, "time": format_datetime(extended.ends_at)},
            )
            return _detail_redirect(access, reservation)
    return _detail_page(request, access, reservation, extend_form=form, refusal=refusal)


# --- The capacity calendar --------------------------------------------------------------------------------------


def _is_htmx_fragment_request(request: HttpRequest) -> bool:
    """An htmx request for the chart only (a history restore wants the whole page)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


@require_GET
@account_page
def capacity(request: HttpRequest) -> HttpResponse:
    """Free GPUs per hour or per day in a zone, for the pool that serves reserved windows."""
    zones = list(zone_list())
    gpu_models = list(gpu_model_list())
    defaults = {
        "zone": zones[0].slug if zones else "",
        "gpu_model": gpu_models[0].slug if gpu_models else "",
        "period": Period.WEEK,
    }
    form = CapacityForm(
        {**defaults, **{key: request.GET[key] for key in defaults if request.GET.get(key)}},
        zones=zones,
        gpu_models=gpu_models,
    )
    chart = None
    selected = {}
    if form.is_valid():
        window = form.window()
        zone = next(zone for zone in zones if zone.slug == form.cleaned_data["zone"])
        gpu_model = next(gpu for gpu in gpu_models if gpu.slug == form.cleaned_data["gpu_model"])
        rows = capacity_calendar(
            zone=zone,
            gpu_model=gpu_model,
            starts_at=window.starts_at,
            ends_at=window.ends_at,
            step=timedelta(hours=1),
        )
        chart = capacity_chart(fold_into_days(rows) if window.by_day else rows, by_day=window.by_day)
        selected = {"zone": zone, "gpu_model": gpu_model}
    context = {"form": form, "chart": chart, **selected}
    template = (
        "reservations/_capacity_chart.html" if _is_htmx_fragment_request(request) else "reservations/capacity.html"
    )
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- Quota ------------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@organization_view(Action.QUOTA_REQUEST)
def quota(request: HttpRequest, access: OrganizationAccess) -> HttpResponse:
    organization = access.organization
    gpu_models = list(gpu_model_list())
    if request.method == "POST":
        form = QuotaRequestForm(request.POST, gpu_models=gpu_models)
        if form.is_valid():
            gpu_model = next(gpu for gpu in gpu_models if gpu.slug == form.cleaned_data["gpu_model"])
            try:
                services.quota_request_create(
                    actor=Actor.from_request(request),
                    organization=organization,
                    gpu_model_id=gpu_model.pk,
                    requested_gpus=form.cleaned_data["requested_gpus"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("We received your request for %(gpus)d %(model)s GPUs; an operator will decide soon.")
                    % {"gpus": form.cleaned_data["requested_gpus"], "model": gpu_model.name},
                )
                return redirect("portal:quota", organization_slug=organization.slug)
    else:
        form = QuotaRequestForm(gpu_models=gpu_models)
    now = timezone.now()
    rows = [
        (
            gpu_model,
            rules.quota_limit(organization=organization, gpu_model_id=gpu_model.pk),
            rules.gpus_held(
                organization=organization, gpu_model_id=gpu_model.pk, starts_at=now, ends_at=now + NOW_WINDOW
            ),
        )
        for gpu_model in gpu_models
    ]
    return render(
        request,
        "reservations/quota.html",
        {
            "organization": organization,
            "rows": rows,
            "form": form,
            "quota_requests": quota_request_list(organization=organization),
        },
    )
