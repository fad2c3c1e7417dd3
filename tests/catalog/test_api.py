"""The catalog API: public reads of the catalog, hardware and prices; quotes for members and catalog:read keys."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from catalog.models import Quote, QuoteLine
from catalog.selectors import QuoteExpiredError, flavor_get, quote_get_bookable
from catalog.services import price_list_create_draft, quote_create
from portal.api.errors import exception_handler
from tenants.audit import Actor
from tenants.choices import Role
from tenants.models import AuditEvent
from tenants.permissions import Scope
from tenants.services import api_key_create
from tests.catalog.conftest import NOW
from tests.catalog.factories import ZoneFactory

pytestmark = pytest.mark.django_db

START = NOW + timedelta(hours=1)
QUOTE_REQUEST = {
    "item": "nemo",
    "version": "25.09",
    "flavor": "b200-x8-metal",
    "instance_count": 1,
    "commitment": "on_demand",
    "starts_at": START.isoformat(),
    "ends_at": (START + timedelta(days=7)).isoformat(),
}


@pytest.fixture
def catalog(now, flavors, items, launch_prices):
    return items


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["slug"] for row in response.json()["results"]]


def quotes_stored() -> tuple[int, int, int]:
    return (
        Quote.objects.unscoped().count(),
        QuoteLine.objects.unscoped().count(),
        AuditEvent.objects.unscoped().filter(action="quote.created").count(),
    )


# --- Catalog reads -------------------------------------------------------------------------------------------------


def test_items_are_public_and_listed_by_slug(catalog, api_client):
    response = api_client.get("/api/v1/catalog/items/")

    assert slugs(response) == ["cosmos-transfer2-5-2b", "isaac-sim", "nemo", "nim-llama-3-1-8b-instruct", "pytorch"]
    nemo = response.json()["results"][2]
    assert nemo == {
        "slug": "nemo",
        "name": "NeMo Framework",
        "kind": "container",
        "publisher": "NVIDIA",
        "summary": "Train large language models.",
        "license": "nvaie",
        "license_terms": "",
        "use_cases": ["generative_ai"],
        "requirements": {
            "min_gpu_memory_gb": 80,
            "requires_ray_tracing": False,
            "requires_whole_node": True,
            "requires_nvlink": True,
        },
        "latest_version": {"tag": "25.09", "released_on": "2025-10-01"},
        "runs_on": ["b200"],
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("use_case=robotics", ["cosmos-transfer2-5-2b", "isaac-sim"]),
        ("use_case=data_science", ["pytorch"]),
        ("license=ngc_free", ["isaac-sim", "pytorch"]),
        ("license=nvaie", ["cosmos-transfer2-5-2b", "nemo", "nim-llama-3-1-8b-instruct"]),
        ("gpu_model=rtx-pro-6000", ["isaac-sim", "nim-llama-3-1-8b-instruct", "pytorch"]),
        ("gpu_model=b200", ["cosmos-transfer2-5-2b", "nemo", "nim-llama-3-1-8b-instruct", "pytorch"]),
        ("kind=nim", ["cosmos-transfer2-5-2b", "nim-llama-3-1-8b-instruct"]),
        ("q=llama", ["nim-llama-3-1-8b-instruct"]),
        ("q=ROBOTS", ["isaac-sim"]),
        ("use_case=generative_ai&license=nvaie&gpu_model=rtx-pro-6000", ["nim-llama-3-1-8b-instruct"]),
    ],
)
def test_items_filter_by_use_case_license_gpu_model_kind_and_words(catalog, api_client, query, expected):
    assert slugs(api_client.get(f"/api/v1/catalog/items/?{query}")) == expected


def test_an_unknown_filter_value_is_a_400_in_the_error_shape(catalog, api_client):
    response = api_client.get("/api/v1/catalog/items/?use_case=gaming")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The request has invalid fields.",
        "code": "invalid",
        "fields": {"use_case": ["Select a valid choice. gaming is not one of the available choices."]},
    }


def test_unpublished_items_are_not_listed_or_shown(catalog, api_client):
    catalog.isaac_sim.is_published = False
    catalog.isaac_sim.save()

    assert "isaac-sim" not in slugs(api_client.get("/api/v1/catalog/items/"))
    assert api_client.get("/api/v1/catalog/items/isaac-sim/").status_code == 404


def test_an_item_with_its_versions_newest_first(catalog, api_client):
    response = api_client.get("/api/v1/catalog/items/pytorch/")

    assert response.status_code == 200
    body = response.json()
    assert (body["latest_version"], body["repository"], body["runs_on"]) == (
        {"tag": "24.12-py3", "released_on": "2024-12-18"},
        "nvcr.io/nvidia/pytorch",
        ["b200", "rtx-pro-6000"],
    )
    assert body["versions"] == [
        {"tag": "24.12-py3", "released_on": "2024-12-18", "reference": "nvcr.io/nvidia/pytorch:24.12-py3", "notes": ""},
        {"tag": "24.11-py3", "released_on": "2024-11-22", "reference": "nvcr.io/nvidia/pytorch:24.11-py3", "notes": ""},
        {"tag": "24.10-py3", "released_on": "2024-10-25", "reference": "nvcr.io/nvidia/pytorch:24.10-py3", "notes": ""},
    ]


def test_an_unknown_item_is_a_404_in_the_error_shape(catalog, api_client):
    response = api_client.get("/api/v1/catalog/items/no-such-item/")

    assert (response.status_code, response.json()) == (
        404,
        {"detail": "Not found.", "code": "not_found", "fields": {}},
    )


def test_versions_are_listed_newest_first(catalog, api_client):
    response = api_client.get("/api/v1/catalog/items/pytorch/versions/")

    assert response.status_code == 200
    assert [v["tag"] for v in response.json()["results"]] == ["24.12-py3", "24.11-py3", "24.10-py3"]
    assert api_client.get("/api/v1/catalog/items/nope/versions/").status_code == 404


def test_a_version_offers_only_compatible_flavors_with_prices_and_says_why_not_for_the_others(catalog, api_client):
    response = api_client.get("/api/v1/catalog/items/nemo/versions/25.09/")

    assert response.status_code == 200
    body = response.json()
    assert (body["item"], body["tag"], body["reference"], body["price_list"]["name"]) == (
        "nemo",
        "25.09",
        "nvcr.io/nvidia/nemo:25.09",
        "2026 launch prices",
    )
    assert [
        (offer["flavor"]["slug"], offer["price_per_gpu_hour"], offer["price_per_instance_hour"])
        for offer in body["compatible_flavors"]
    ] == [
        (
            "b200-x8-metal",
            # compute plus the NVIDIA AI Enterprise add-on (0.88 on demand, included when reserved)
            {"on_demand": "7.3800", "reserved_1m": "5.5000", "reserved_12m": "4.2000"},
            {"on_demand": "59.0400", "reserved_1m": "44.0000", "reserved_12m": "33.6000"},
        )
    ]
    incompatible = {offer["flavor"]["slug"]: offer["reasons"] for offer in body["incompatible_flavors"]}
    assert sorted(incompatible) == [
        "b200-x1",
        "b200-x2",
        "b200-x4",
        "rtx-pro-x1",
        "rtx-pro-x2",
        "rtx-pro-x4",
        "rtx-pro-x8",
    ]
    assert incompatible["b200-x4"] == [
        {"rule": "whole_node", "reason": "It needs a whole node; this flavor has 4 of the node's 8 GPUs."}
    ]
    assert incompatible["rtx-pro-x8"] == [
        {"rule": "nvlink", "reason": "It needs GPUs connected by NVLink; the RTX PRO server (8 GPUs) has no NVLink."}
    ]


def test_an_unknown_version_is_a_404(catalog, api_client):
    assert api_client.get("/api/v1/catalog/items/nemo/versions/1.0/").status_code == 404


def test_flavors_with_their_hardware(catalog, api_client):
    response = api_client.get("/api/v1/catalog/flavors/?gpu_model=b200")

    assert slugs(response) == ["b200-x1", "b200-x2", "b200-x4", "b200-x8-metal"]
    assert response.json()["results"][3] == {
        "slug": "b200-x8-metal",
        "name": "B200 ×8 bare metal",
        "gpu_count": 8,
        "deployment": "bare_metal",
        "vcpus": 224,
        "ram_gb": 2048,
        "local_disk_gb": 30720,
        "gpu_memory_gb": 1440,
        "is_whole_node": True,
        "gpu_model": {
            "slug": "b200",
            "name": "NVIDIA B200",
            "architecture": "Blackwell",
            "memory_gb": 180,
            "has_ray_tracing_cores": False,
        },
        "node_type": {
            "slug": "dgx-b200",
            "name": "NVIDIA DGX B200",
            "gpus_per_node": 8,
            "has_nvlink": True,
            "has_infiniband": True,
        },
    }
    assert slugs(api_client.get("/api/v1/catalog/flavors/?deployment=bare_metal")) == ["b200-x8-metal"]
    assert api_client.get("/api/v1/catalog/flavors/rtx-pro-x4/").json()["vcpus"] == 64


def test_regions_and_zones(catalog, api_client):
    ZoneFactory.create(slug="de-muc-1a", name="Munich 1a")
    ZoneFactory.create(slug="de-muc-1b", name="Munich 1b")

    regions = api_client.get("/api/v1/catalog/regions/")
    zones = api_client.get("/api/v1/catalog/zones/?region=de-muc-1")

    assert regions.json()["results"] == [
        {
            "slug": "de-muc-1",
            "name": "Munich 1",
            "city": "Munich",
            "country": "DE",
            "zones": [{"slug": "de-muc-1a", "name": "Munich 1a"}, {"slug": "de-muc-1b", "name": "Munich 1b"}],
        }
    ]
    assert zones.json()["results"] == [
        {"slug": "de-muc-1a", "name": "Munich 1a", "region": "de-muc-1"},
        {"slug": "de-muc-1b", "name": "Munich 1b", "region": "de-muc-1"},
    ]
    assert api_client.get("/api/v1/catalog/regions/de-muc-1/").json()["name"] == "Munich 1"
    assert api_client.get("/api/v1/catalog/zones/de-muc-1b/").json()["region"] == "de-muc-1"


# --- Prices --------------------------------------------------------------------------------------------------------


def test_the_prices_in_effect(catalog, api_client, launch_prices):
    response = api_client.get("/api/v1/catalog/prices/")

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["name"], body["currency"], body["effective_from"]) == (
        launch_prices.pk,
        "2026 launch prices",
        "EUR",
        "2026-01-01T01:00:00+01:00",
    )
    assert len(body["compute_prices"]) == 24
    assert body["compute_prices"][:3] == [
        {"flavor": "b200-x1", "commitment": "on_demand", "unit_price": "6.9000"},
        {"flavor": "b200-x1", "commitment": "reserved_12m", "unit_price": "4.5000"},
        {"flavor": "b200-x1", "commitment": "reserved_1m", "unit_price": "5.9000"},
    ]
    assert body["license_prices"] == [
        {"license": "nvaie", "commitment": "on_demand", "unit_price": "0.8800"},
        {"license": "nvaie", "commitment": "reserved_12m", "unit_price": "0.0000"},
        {"license": "nvaie", "commitment": "reserved_1m", "unit_price": "0.0000"},
    ]


def test_the_prices_at_a_time_before_any_list_are_a_404(catalog, api_client):
    assert api_client.get("/api/v1/catalog/prices/?at=2025-06-01T00:00:00Z").status_code == 404
    assert api_client.get("/api/v1/catalog/prices/?at=2026-06-01T00:00:00Z").json()["name"] == "2026 launch prices"
    assert api_client.get("/api/v1/catalog/prices/?at=yesterday").json() == {
        "detail": "The request has invalid fields.",
        "code": "invalid",
        "fields": {"at": ["Give a date and time with its UTC offset (ISO 8601)."]},
    }


def test_published_price_lists_only(catalog, api_client, launch_prices):
    draft = price_list_create_draft(actor=Actor.system(), name="Secret draft")

    listing = api_client.get("/api/v1/catalog/price-lists/")

    assert [row["name"] for row in listing.json()["results"]] == ["2026 launch prices"]
    assert api_client.get(f"/api/v1/catalog/price-lists/{launch_prices.pk}/").json()["name"] == "2026 launch prices"
    assert api_client.get(f"/api/v1/catalog/price-lists/{draft.pk}/").status_code == 404


# --- Quotes --------------------------------------------------------------------------------------------------------


def csrf_client(client: APIClient) -> APIClient:
    """A session client that sends the CSRF cookie and header, like the portal's pages."""
    token = "k0nt0r" * 5 + "ab"  # a CSRF secret is 32 alphanumeric characters
    client.cookies["csrftoken"] = token
    client.credentials(HTTP_X_CSRFTOKEN=token)
    return client


def test_a_member_creates_a_quote(catalog, organization, member, client_for):
    client = csrf_client(client_for(member))

    response = client.post("/api/v1/organizations/rheinwerk/quotes/", QUOTE_REQUEST, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    quote = Quote.objects.for_organization(organization).get()
    assert body == {
        "id": quote.pk,
        "organization": "rheinwerk",
        "item": "nemo",
        "version": "25.09",
        "reference": "nvcr.io/nvidia/nemo:25.09",
        "flavor": "b200-x8-metal",
        "instance_count": 1,
        "commitment": "on_demand",
        "starts_at": "2026-11-25T12:00:00+01:00",
        "ends_at": "2026-12-02T12:00:00+01:00",
        "hours": 168,
        "currency": "EUR",
        "price_list": {
            "id": quote.price_list_id,
            "name": "2026 launch prices",
            "currency": "EUR",
            "effective_from": "2026-01-01T01:00:00+01:00",
        },
        "compute_unit_price": "6.5000",
        "license_unit_price": "0.8800",
        "lines": [
            {
                "position": 1,
                "kind": "compute",
                "description": "B200 ×8 bare metal, On demand: 1 × 8 GPUs × 168 h",
                "quantity": "1344.0000",
                "unit_price": "6.5000",
                "net_amount": "8736.00",
            },
            {
                "position": 2,
                "kind": "license",
                "description": "NVIDIA AI Enterprise license, per GPU-hour",
                "quantity": "1344.0000",
                "unit_price": "0.8800",
                "net_amount": "1182.72",
            },
        ],
        "net_amount": "9918.72",
        "vat": {"category": "S", "rate": "19.00", "amount": "1884.56", "note": ""},
        "gross_amount": "11803.28",
        "created_at": "2026-11-25T11:00:00+01:00",
        "valid_until": "2026-12-02T11:00:00+01:00",
        "status": "open",
        "created_by_label": member.email,
    }
    event = AuditEvent.objects.for_organization(organization).get(action="quote.created")
    assert (event.actor_user, event.target_id) == (member, str(quote.pk))


def test_an_api_key_with_catalog_read_creates_and_reads_quotes(catalog, organization, owner):
    _key, token = api_key_create(
        actor=Actor.for_user(owner), organization=organization, name="ERP", scopes=[Scope.CATALOG_READ]
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    created = client.post("/api/v1/organizations/rheinwerk/quotes/", QUOTE_REQUEST, format="json")
    listed = client.get("/api/v1/organizations/rheinwerk/quotes/")
    read = client.get(f"/api/v1/organizations/rheinwerk/quotes/{created.json()['id']}/")

    assert (created.status_code, created.json()["created_by_label"]) == (201, f"api-key:{_key.prefix}")
    assert [q["id"] for q in listed.json()["results"]] == [created.json()["id"]]
    assert read.json()["gross_amount"] == "11803.28"


def test_an_api_key_without_catalog_read_is_refused(catalog, organization, owner):
    _key, token = api_key_create(
        actor=Actor.for_user(owner), organization=organization, name="Reader", scopes=[Scope.MEMBERS_READ]
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = client.post("/api/v1/organizations/rheinwerk/quotes/", QUOTE_REQUEST, format="json")

    assert (response.status_code, response.json()) == (
        403,
        {"detail": "Your role does not allow this action (catalog.quote).", "code": "permission_denied", "fields": {}},
    )
    assert quotes_stored() == (0, 0, 0)


def test_anonymous_callers_get_no_quote(catalog, api_client):
    response = api_client.post("/api/v1/organizations/rheinwerk/quotes/", QUOTE_REQUEST, format="json")

    assert response.status_code == 401
    assert quotes_stored() == (0, 0, 0)


def test_a_session_post_without_the_csrf_token_is_refused(catalog, organization, member, client_for):
    client = client_for(member)

    response = client.post("/api/v1/organizations/rheinwerk/quotes/", QUOTE_REQUEST, format="json")

    assert (response.status_code, response.json()) == (
        403,
        {"detail": "CSRF Failed: CSRF cookie not set.", "code": "permission_denied", "fields": {}},
    )
    assert quotes_stored() == (0, 0, 0)


def test_another_organizations_quotes_are_a_404(catalog, organization, other_organization, member_of, client_for):
    quote = quote_create(
        actor=Actor.system(),
        organization=organization,
        version=catalog.version(catalog.nemo),
        flavor=flavor_get(slug="b200-x8-metal"),
        instance_count=1,
        commitment="on_demand",
        starts_at=START,
        ends_at=START + timedelta(hours=1),
    )
    client = client_for(member_of(other_organization, Role.OWNER))

    assert client.get(f"/api/v1/organizations/rheinwerk/quotes/{quote.pk}/").status_code == 404
    assert client.get(f"/api/v1/organizations/delft/quotes/{quote.pk}/").status_code == 404
    assert client.get("/api/v1/organizations/delft/quotes/").json()["results"] == []


def refusal(client, **changes) -> dict:
    request = {**QUOTE_REQUEST, **changes}
    response = client.post("/api/v1/organizations/rheinwerk/quotes/", request, format="json")
    assert response.status_code == 400, response.content
    assert quotes_stored() == (0, 0, 0)
    return response.json()


def invalid(fields: dict[str, list[str]]) -> dict:
    return {"detail": "The request has invalid fields.", "code": "invalid", "fields": fields}


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"item": "no-such-item"}, {"item": ["There is no catalog item no-such-item."]}),
        ({"version": "99.99"}, {"version": ["NeMo Framework has no version 99.99."]}),
        ({"flavor": "h100-x1"}, {"flavor": ["There is no flavor h100-x1."]}),
        (
            {"flavor": "b200-x4"},
            {
                "flavor": [
                    "NeMo Framework 25.09 cannot run on B200 ×4. "
                    "It needs a whole node; this flavor has 4 of the node's 8 GPUs."
                ]
            },
        ),
        ({"instance_count": 0}, {"instance_count": ["Order between 1 and 64 instances of B200 ×8 bare metal."]}),
        ({"instance_count": 65}, {"instance_count": ["Order between 1 and 64 instances of B200 ×8 bare metal."]}),
        ({"instance_count": "two"}, {"instance_count": ["A valid integer is required."]}),
        (
            {"starts_at": (NOW - timedelta(hours=2)).isoformat(), "ends_at": NOW.isoformat()},
            {"starts_at": ["The window starts in the past; choose a start from now on."]},
        ),
        (
            {"ends_at": (START - timedelta(hours=3)).isoformat()},
            {"ends_at": ["The window ends before it starts."]},
        ),
        (
            {"ends_at": (START + timedelta(minutes=90)).isoformat()},
            {"ends_at": ["The window must last a whole number of hours."]},
        ),
        (
            {"commitment": "reserved_1m"},
            {"commitment": ["Reserved, 1 month needs a window of at least 30 days (720 hours)."]},
        ),
        ({"commitment": "spot"}, {"commitment": ['"spot" is not a valid choice.']}),
        ({"currency": "USD"}, {"currency": ["Kontor quotes in EUR only; USD is not accepted."]}),
        (
            {"starts_at": "tomorrow"},
            {
                "starts_at": [
                    "Datetime has wrong format. Use one of these formats instead: "
                    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
                ]
            },
        ),
    ],
    ids=[
        "unknown item",
        "unknown version",
        "unknown flavor",
        "incompatible flavor",
        "no instances",
        "too many instances",
        "count not a number",
        "window in the past",
        "ends before it starts",
        "not whole hours",
        "reservation too short",
        "unknown commitment",
        "currency not EUR",
        "start not a date",
    ],
)
def test_bad_input_is_a_400_in_the_error_shape_and_nothing_is_stored(
    catalog, organization, member, client_for, changes, fields
):
    assert refusal(csrf_client(client_for(member)), **changes) == invalid(fields)


def test_quotes_are_listed_newest_first_and_show_their_status(catalog, organization, member, client_for):
    client = csrf_client(client_for(member))
    first = client.post("/api/v1/organizations/rheinwerk/quotes/", QUOTE_REQUEST, format="json").json()
    second = client.post(
        "/api/v1/organizations/rheinwerk/quotes/", {**QUOTE_REQUEST, "instance_count": 2}, format="json"
    ).json()

    with time_machine.travel(NOW + timedelta(days=8), tick=False):
        listed = client.get("/api/v1/organizations/rheinwerk/quotes/").json()["results"]

    assert [(q["id"], q["instance_count"], q["status"]) for q in listed] == [
        (second["id"], 2, "expired"),
        (first["id"], 1, "expired"),
    ]


def test_no_price_list_in_effect_is_a_400_with_its_own_code(now, flavors, items, organization, member, client_for):
    response = csrf_client(client_for(member)).post(
        "/api/v1/organizations/rheinwerk/quotes/", QUOTE_REQUEST, format="json"
    )

    assert (response.status_code, response.json()) == (
        400,
        {
            "detail": "No price list is in effect yet; quotes are not possible right now.",
            "code": "no_price_list",
            "fields": {},
        },
    )
    assert quotes_stored() == (0, 0, 0)


def test_an_expired_quote_answers_in_the_error_shape(make_quote, organization):
    quote = make_quote()
    with time_machine.travel(NOW + timedelta(days=8), tick=False), pytest.raises(QuoteExpiredError) as refusal:
        quote_get_bookable(organization=organization, quote_id=quote.pk)

    response = exception_handler(refusal.value, {})

    assert (response.status_code, response.data) == (
        400,
        {
            "detail": "The request has invalid fields.",
            "code": "invalid",
            "fields": {"quote": [f"Quote {quote.pk} expired at 2 Dec 2026, 11:00; request a new quote."]},
        },
    )
