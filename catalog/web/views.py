"""Catalog pages: browse and search, an item with its versions, flavors and prices, the public price list, and
quotes for signed-in members."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from catalog.choices import Commitment, License
from catalog.models import CatalogItem, Quote
from catalog.selectors import (
    catalog_item_get,
    catalog_item_list,
    catalog_item_version_list,
    flavor_list,
    flavor_offers,
    gpu_model_list,
    price_list_in_effect,
    price_list_next,
    price_list_with_prices,
    quote_get,
    runs_on_by_item,
)
from catalog.services import quote_create
from catalog.web.forms import CatalogFilterForm, QuoteForm
from reservations.web.ordering import quote_booking_context  # the wizard's last step: availability, booking
from tenants.audit import Actor
from tenants.models import Organization, User
from tenants.permissions import Action, role_allows
from tenants.web.access import OrganizationAccess, account_page, organization_view, public_page

ITEMS_PER_PAGE = 30


def _is_htmx_fragment_request(request: HttpRequest) -> bool:
    """An htmx request for the results only (a history restore wants the whole page)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


@public_page
@require_GET
def item_list(request: HttpRequest) -> HttpResponse:
    gpu_models = list(gpu_model_list())
    form = CatalogFilterForm(request.GET, gpu_models=gpu_models)
    filters = form.filters()
    page = Paginator(catalog_item_list(**filters), ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    runs_on = runs_on_by_item(items)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": [(item, runs_on[item.pk]) for item in items],
        "filtered": any(filters.values()),
        "query": query.urlencode(),
    }
    template = "catalog/_item_results.html" if _is_htmx_fragment_request(request) else "catalog/item_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _quote_organizations(user: Any) -> list[Organization]:
    """The organizations the signed-in user may request quotes for."""
    if not isinstance(user, User):
        return []
    memberships = user.memberships.select_related("organization").order_by("organization__legal_name")
    return [m.organization for m in memberships if role_allows(m.role, Action.CATALOG_QUOTE)]


def _item_page(request: HttpRequest, item: CatalogItem, quote_form: QuoteForm | None) -> HttpResponse:
    """The item page. With a bound quote form it shows the form's errors, answering 200 as form pages do (the
    browser harness counts a 4xx document as a console error)."""
    versions = list(catalog_item_version_list(item=item))
    offers, price_list = flavor_offers(item=item)
    compatible = [offer for offer in offers if offer.fit.is_compatible]
    organizations = _quote_organizations(request.user)
    if quote_form is None and organizations and compatible and versions:
        quote_form = QuoteForm(
            organizations=organizations, versions=versions, flavors=[offer.flavor for offer in compatible]
        )
    context = {
        "item": item,
        "use_cases": [row.get_use_case_display() for row in item.use_cases.all()],
        "versions": versions,
        "compatible": [(offer, [offer.prices.get(c) for c in Commitment]) for offer in compatible],
        "incompatible": [offer for offer in offers if not offer.fit.is_compatible],
        "commitments": list(Commitment),
        "price_list": price_list,
        "license_label": License(item.license).label,
        "quote_form": quote_form if price_list is not None else None,
    }
    return render(request, "catalog/item_detail.html", context)


def _item_or_404(item_slug: str) -> CatalogItem:
    item = catalog_item_get(slug=item_slug)
    if item is None:
        raise Http404
    return item


@public_page
@require_GET
def item_detail(request: HttpRequest, item_slug: str) -> HttpResponse:
    return _item_page(request, _item_or_404(item_slug), None)


@account_page
@require_POST
def quote_request(request: HttpRequest, item_slug: str) -> HttpResponse:
    item = _item_or_404(item_slug)
    versions = list(catalog_item_version_list(item=item))
    offers, _price_list = flavor_offers(item=item)
    compatible = [offer.flavor for offer in offers if offer.fit.is_compatible]
    form = QuoteForm(
        request.POST, organizations=_quote_organizations(request.user), versions=versions, flavors=compatible
    )
    if not form.is_valid():
        return _item_page(request, item, form)
    organization = next(
        org for org in _quote_organizations(request.user) if org.slug == form.cleaned_data["organization"]
    )
    version = next(version for version in versions if version.tag == form.cleaned_data["version"])
    flavor = next(flavor for flavor in compatible if flavor.slug == form.cleaned_data["flavor"])
    starts_at, ends_at = form.window()
    try:
        quote = quote_create(
            actor=Actor.from_request(request),
            organization=organization,
            version=version,
            flavor=flavor,
            instance_count=form.cleaned_data["instance_count"],
            commitment=form.cleaned_data["commitment"],
            starts_at=starts_at,
            ends_at=ends_at,
        )
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            form.add_service_errors(error.message_dict)
        else:
            form.add_error(None, error)
        return _item_page(request, item, form)
    return redirect("catalog:quote-detail", organization_slug=organization.slug, quote_id=quote.pk)


@require_GET
@organization_view(Action.CATALOG_QUOTE)
def quote_detail(request: HttpRequest, access: OrganizationAccess, quote_id: int) -> HttpResponse:
    organization, membership = access.organization, access.membership
    quote: Quote | None = quote_get(organization=organization, quote_id=quote_id)
    if quote is None:
        raise Http404
    response = render(
        request,
        "catalog/quote_detail.html",
        {
            "organization": organization,
            "quote": quote,
            "lines": list(quote.lines.all()),
            "status": quote.status(),
            **quote_booking_context(organization=organization, membership=membership, quote=quote),
        },
    )
    add_never_cache_headers(response)  # its book form carries a one-time key: going back must not reuse it
    return response


@public_page
@require_GET
def price_list(request: HttpRequest) -> HttpResponse:
    """The public price list in effect: EUR per GPU-hour before VAT, per flavor and commitment."""
    in_effect = price_list_in_effect()
    prices = price_list_with_prices(in_effect.pk) if in_effect else None
    rows: list[dict[str, Any]] = []
    license_rows: list[dict[str, Any]] = []
    if prices is not None:
        by_flavor: dict[int, dict[str, Any]] = {}
        for entry in prices.compute_prices.all():
            by_flavor.setdefault(entry.flavor_id, {"flavor": entry.flavor, "prices": {}})["prices"][
                entry.commitment
            ] = entry.unit_price
        offered = {flavor.pk for flavor in flavor_list()}
        rows = [
            {**row, "cells": [row["prices"].get(c) for c in Commitment]}
            for flavor_id, row in sorted(by_flavor.items(), key=lambda pair: pair[1]["flavor"].slug)
            if flavor_id in offered
        ]
        by_license: dict[str, dict[str, Any]] = {}
        for addon in prices.license_prices.all():
            by_license.setdefault(addon.license, {"label": License(addon.license).label, "prices": {}})["prices"][
                addon.commitment
            ] = addon.unit_price
        license_rows = [{**row, "cells": [row["prices"].get(c) for c in Commitment]} for row in by_license.values()]
    return render(
        request,
        "catalog/price_list.html",
        {
            "price_list": prices,
            "next_price_list": price_list_next(),
            "commitments": list(Commitment),
            "rows": rows,
            "license_rows": license_rows,
        },
    )
