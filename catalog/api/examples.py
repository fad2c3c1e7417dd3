"""OpenAPI examples of the catalog API, taken from the seeded catalog and launch prices."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

B200_GPU = {
    "slug": "b200",
    "name": "NVIDIA B200",
    "architecture": "Blackwell",
    "memory_gb": 180,
    "has_ray_tracing_cores": False,
}
DGX_B200 = {
    "slug": "dgx-b200",
    "name": "NVIDIA DGX B200",
    "gpus_per_node": 8,
    "has_nvlink": True,
    "has_infiniband": True,
}
FLAVOR_B200_METAL = {
    "slug": "b200-x8-metal",
    "name": "B200 ×8 bare metal",
    "gpu_count": 8,
    "deployment": "bare_metal",
    "vcpus": 224,
    "ram_gb": 2048,
    "local_disk_gb": 30720,
    "gpu_memory_gb": 1440,
    "is_whole_node": True,
    "gpu_model": B200_GPU,
    "node_type": DGX_B200,
}
FLAVOR_B200_X4 = {
    **FLAVOR_B200_METAL,
    "slug": "b200-x4",
    "name": "B200 ×4",
    "gpu_count": 4,
    "deployment": "vm",
    "vcpus": 96,
    "ram_gb": 880,
    "local_disk_gb": 15360,
    "gpu_memory_gb": 720,
    "is_whole_node": False,
}
PRICE_LIST = {"id": 1, "name": "2026 launch prices", "currency": "EUR", "effective_from": "2026-01-01T00:00:00+01:00"}

NEMO = {
    "slug": "nemo",
    "name": "NeMo Framework",
    "kind": "container",
    "publisher": "NVIDIA",
    "summary": "Build, customize and train large language models across a whole NVLink node.",
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

ITEM_EXAMPLE = OpenApiExample("NeMo Framework", value=NEMO, response_only=True)
ITEM_DETAIL_EXAMPLE = OpenApiExample(
    "NeMo Framework",
    value={
        **NEMO,
        "description": "",
        "repository": "nvcr.io/nvidia/nemo",
        "versions": [
            {"tag": "25.09", "released_on": "2025-10-01", "reference": "nvcr.io/nvidia/nemo:25.09", "notes": ""},
            {"tag": "25.07", "released_on": "2025-07-30", "reference": "nvcr.io/nvidia/nemo:25.07", "notes": ""},
        ],
    },
    response_only=True,
)
VERSION_EXAMPLE = OpenApiExample(
    "NeMo 25.09",
    value={"tag": "25.09", "released_on": "2025-10-01", "reference": "nvcr.io/nvidia/nemo:25.09", "notes": ""},
    response_only=True,
)
VERSION_DETAIL_EXAMPLE = OpenApiExample(
    "NeMo 25.09: one compatible flavor",
    value={
        "item": "nemo",
        "tag": "25.09",
        "released_on": "2025-10-01",
        "reference": "nvcr.io/nvidia/nemo:25.09",
        "notes": "",
        "price_list": PRICE_LIST,
        "compatible_flavors": [
            {
                "flavor": FLAVOR_B200_METAL,
                "price_per_gpu_hour": {"on_demand": "7.3800", "reserved_1m": "5.5000", "reserved_12m": "4.2000"},
                "price_per_instance_hour": {
                    "on_demand": "59.0400",
                    "reserved_1m": "44.0000",
                    "reserved_12m": "33.6000",
                },
            }
        ],
        "incompatible_flavors": [
            {
                "flavor": FLAVOR_B200_X4,
                "reasons": [
                    {"rule": "whole_node", "reason": "It needs a whole node; this flavor has 4 of the node's 8 GPUs."}
                ],
            }
        ],
    },
    response_only=True,
)
FLAVOR_EXAMPLE = OpenApiExample("DGX B200, bare metal", value=FLAVOR_B200_METAL, response_only=True)
REGION_EXAMPLE = OpenApiExample(
    "Munich",
    value={
        "slug": "de-muc-1",
        "name": "Munich 1",
        "city": "Munich",
        "country": "DE",
        "zones": [{"slug": "de-muc-1a", "name": "Munich 1a"}, {"slug": "de-muc-1b", "name": "Munich 1b"}],
    },
    response_only=True,
)
ZONE_EXAMPLE = OpenApiExample(
    "Munich 1a", value={"slug": "de-muc-1a", "name": "Munich 1a", "region": "de-muc-1"}, response_only=True
)
PRICE_LIST_EXAMPLE = OpenApiExample("Launch prices", value=PRICE_LIST, response_only=True)
PRICE_LIST_DETAIL_EXAMPLE = OpenApiExample(
    "Launch prices (excerpt)",
    value={
        **PRICE_LIST,
        "compute_prices": [
            {"flavor": "b200-x8-metal", "commitment": "on_demand", "unit_price": "6.5000"},
            {"flavor": "b200-x8-metal", "commitment": "reserved_1m", "unit_price": "5.5000"},
            {"flavor": "b200-x8-metal", "commitment": "reserved_12m", "unit_price": "4.2000"},
        ],
        "license_prices": [
            {"license": "nvaie", "commitment": "on_demand", "unit_price": "0.8800"},
            {"license": "nvaie", "commitment": "reserved_1m", "unit_price": "0.0000"},
            {"license": "nvaie", "commitment": "reserved_12m", "unit_price": "0.0000"},
        ],
    },
    response_only=True,
)
QUOTE_REQUEST_EXAMPLE = OpenApiExample(
    "A week of NeMo on a whole DGX B200",
    value={
        "item": "nemo",
        "version": "25.09",
        "flavor": "b200-x8-metal",
        "instance_count": 1,
        "commitment": "on_demand",
        "starts_at": "2026-12-01T09:00:00+01:00",
        "ends_at": "2026-12-08T09:00:00+01:00",
        "currency": "EUR",
    },
    request_only=True,
)
QUOTE_EXAMPLE = OpenApiExample(
    "A week of NeMo on a whole DGX B200, German customer",
    value={
        "id": 42,
        "organization": "rheinwerk",
        "item": "nemo",
        "version": "25.09",
        "reference": "nvcr.io/nvidia/nemo:25.09",
        "flavor": "b200-x8-metal",
        "instance_count": 1,
        "commitment": "on_demand",
        "starts_at": "2026-12-01T09:00:00+01:00",
        "ends_at": "2026-12-08T09:00:00+01:00",
        "hours": 168,
        "currency": "EUR",
        "price_list": PRICE_LIST,
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
        "created_at": "2026-11-25T10:00:00+01:00",
        "valid_until": "2026-12-02T10:00:00+01:00",
        "status": "open",
        "created_by_label": "owner@example.de",
    },
    response_only=True,
)
QUOTE_INVALID_EXAMPLE = OpenApiExample(
    "Incompatible item and flavor",
    value={
        "detail": "The request has invalid fields.",
        "code": "invalid",
        "fields": {
            "flavor": [
                "NeMo Framework 25.09 cannot run on B200 ×4. "
                "It needs a whole node; this flavor has 4 of the node's 8 GPUs."
            ]
        },
    },
    response_only=True,
    status_codes=["400"],
)
