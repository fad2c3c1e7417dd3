"""What ``manage.py seed_catalog`` loads: real NVIDIA catalog items, the hardware, flavors, launch prices and the
inventory description, from ../shared/reference/catalog.md ([V] vendor, [3P] third party, [E] estimate).

Image tags move monthly: to offer a new one, add it at the top of the item's ``versions`` and run the seed again
(it adds what is missing and never overwrites what operators changed in the console).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from catalog.choices import Commitment, Deployment, ItemKind, License, UseCase

# --- Hardware --------------------------------------------------------------------------------------------------------

REGION = {"slug": "de-muc-1", "name": "Munich 1", "city": "Munich", "country": "DE"}
ZONES = [
    {"slug": "de-muc-1a", "name": "Munich 1a"},
    {"slug": "de-muc-1b", "name": "Munich 1b"},
]

GPU_MODELS = [
    # [V] DGX B200: 8x B200, 180 GB each; no ray-tracing cores.
    {
        "slug": "b200",
        "name": "NVIDIA B200",
        "architecture": "Blackwell",
        "memory_gb": 180,
        "has_ray_tracing_cores": False,
    },
    # [3P] 96 GB GDDR7, 24,064 CUDA cores, ray-tracing cores.
    {
        "slug": "rtx-pro-6000",
        "name": "NVIDIA RTX PRO 6000 Blackwell Server Edition",
        "architecture": "Blackwell",
        "memory_gb": 96,
        "has_ray_tracing_cores": True,
    },
]

NODE_TYPES = [
    # [V] 2x Xeon 8570 (112 cores, 224 threads), 2 TB RAM, 8x 3.84 TB NVMe, 8x ConnectX-7 InfiniBand, NVLink.
    {
        "slug": "dgx-b200",
        "name": "NVIDIA DGX B200",
        "gpu_model": "b200",
        "gpus_per_node": 8,
        "has_nvlink": True,
        "has_infiniband": True,
        "vcpus": 224,
        "ram_gb": 2048,
        "local_disk_gb": 30720,
    },
    # [E] A 2U server with 8 RTX PRO 6000 cards, PCIe only (no NVLink), Ethernet.
    {
        "slug": "rtx-pro-server",
        "name": "RTX PRO server (8 GPUs)",
        "gpu_model": "rtx-pro-6000",
        "gpus_per_node": 8,
        "has_nvlink": False,
        "has_infiniband": False,
        "vcpus": 192,
        "ram_gb": 1536,
        "local_disk_gb": 15360,
    },
]


@dataclass(frozen=True)
class FlavorSeed:
    slug: str
    name: str
    node_type: str
    gpu_count: int
    deployment: Deployment
    vcpus_per_gpu: int
    ram_gb_per_gpu: int
    disk_gb_per_gpu: int
    prices: dict[Commitment, Decimal]  # EUR per GPU-hour [E]


B200_VM_PRICES = {
    Commitment.ON_DEMAND: Decimal("6.90"),
    Commitment.RESERVED_1M: Decimal("5.90"),
    Commitment.RESERVED_12M: Decimal("4.50"),
}
B200_METAL_PRICES = {
    Commitment.ON_DEMAND: Decimal("6.50"),
    Commitment.RESERVED_1M: Decimal("5.50"),
    Commitment.RESERVED_12M: Decimal("4.20"),
}
RTX_PRO_PRICES = {
    Commitment.ON_DEMAND: Decimal("1.80"),
    Commitment.RESERVED_1M: Decimal("1.55"),
    Commitment.RESERVED_12M: Decimal("1.25"),
}

FLAVORS = [
    # vCPU / RAM per GPU from the reference table; local disk: one 3.84 TB NVMe per B200 [V], 1.92 TB per RTX PRO [E].
    *(
        FlavorSeed(f"b200-x{n}", f"B200 ×{n}", "dgx-b200", n, Deployment.VM, 24, 220, 3840, B200_VM_PRICES)
        for n in (1, 2, 4)
    ),
    FlavorSeed(
        "b200-x8-metal", "B200 ×8 bare metal", "dgx-b200", 8, Deployment.BARE_METAL, 28, 256, 3840, B200_METAL_PRICES
    ),
    *(
        FlavorSeed(
            f"rtx-pro-x{n}", f"RTX PRO 6000 ×{n}", "rtx-pro-server", n, Deployment.VM, 16, 128, 1920, RTX_PRO_PRICES
        )
        for n in (1, 2, 4, 8)
    ),
]

# [3P] NVAIE is about $1 per GPU-hour in cloud marketplaces; included in reserved prices [E].
LICENSE_PRICES = {
    License.NVIDIA_AI_ENTERPRISE: {
        Commitment.ON_DEMAND: Decimal("0.88"),
        Commitment.RESERVED_1M: Decimal("0.00"),
        Commitment.RESERVED_12M: Decimal("0.00"),
    }
}
LAUNCH_PRICE_LIST = "2026 launch prices"

# [E] ~1,000 DGX B200 (8,000 GPUs) and ~250 RTX PRO servers (2,000 GPUs) over two zones: 10,000 GPUs.
ZONE_CAPACITY = [
    ("de-muc-1a", "dgx-b200", 500),
    ("de-muc-1a", "rtx-pro-server", 125),
    ("de-muc-1b", "dgx-b200", 500),
    ("de-muc-1b", "rtx-pro-server", 125),
]

# --- Catalog items ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemSeed:
    slug: str
    name: str
    kind: ItemKind
    repository: str
    summary: str
    use_cases: tuple[UseCase, ...]
    versions: tuple[tuple[str, date], ...]  # newest first; release dates [E] from the NGC tags
    license: License = License.NGC_FREE
    license_terms: str = ""
    publisher: str = "NVIDIA"
    description: str = ""
    min_gpu_memory_gb: int = 0
    requires_ray_tracing: bool = False
    requires_whole_node: bool = False
    requires_nvlink: bool = False


U = UseCase
ITEMS = [
    ItemSeed(
        "pytorch",
        "PyTorch",
        ItemKind.CONTAINER,
        "nvcr.io/nvidia/pytorch",
        "GPU-optimized PyTorch for training and fine-tuning, with CUDA, cuDNN and NCCL.",
        (U.GENERATIVE_AI, U.DATA_SCIENCE),
        (("24.12-py3", date(2024, 12, 18)), ("24.11-py3", date(2024, 11, 22)), ("24.10-py3", date(2024, 10, 25))),
    ),
    ItemSeed(
        "cuda",
        "CUDA",
        ItemKind.CONTAINER,
        "nvcr.io/nvidia/cuda",
        "The CUDA toolkit on Ubuntu 24.04: the base image for your own GPU software.",
        (U.DATA_SCIENCE,),
        (("13.0.2-devel-ubuntu24.04", date(2025, 10, 9)), ("12.9.1-devel-ubuntu24.04", date(2025, 6, 5))),
    ),
    ItemSeed(
        "nemo",
        "NeMo Framework",
        ItemKind.CONTAINER,
        "nvcr.io/nvidia/nemo",
        "Build, customize and train large language models across a whole NVLink node.",
        (U.GENERATIVE_AI,),
        (("25.09", date(2025, 10, 1)), ("25.07", date(2025, 7, 30)), ("25.04", date(2025, 5, 2))),
        license=License.NVIDIA_AI_ENTERPRISE,
        min_gpu_memory_gb=80,
        requires_whole_node=True,
        requires_nvlink=True,
    ),
    ItemSeed(
        "nim-llama-3-1-8b-instruct",
        "NIM Llama 3.1 8B Instruct",
        ItemKind.NIM,
        "nvcr.io/nim/meta/llama-3.1-8b-instruct",
        "An optimized inference microservice for Meta's Llama 3.1 8B Instruct: chatbots behind an OpenAI-style API.",
        (U.GENERATIVE_AI,),
        (("1.8.6", date(2025, 11, 20)), ("1.8.5", date(2025, 10, 16)), ("1.3.3", date(2025, 2, 12))),
        license=License.NVIDIA_AI_ENTERPRISE,
        license_terms="Llama 3.1 Community License (Meta)",
        publisher="NVIDIA (model by Meta)",
        min_gpu_memory_gb=24,
    ),
    ItemSeed(
        "tritonserver",
        "Triton Inference Server",
        ItemKind.CONTAINER,
        "nvcr.io/nvidia/tritonserver",
        "Serve models from any framework over HTTP and gRPC, with dynamic batching.",
        (U.GENERATIVE_AI, U.SPEECH),
        (("25.12-py3", date(2025, 12, 19)), ("25.11-py3", date(2025, 11, 21)), ("25.10-py3", date(2025, 10, 24))),
    ),
    ItemSeed(
        "tensorrt-llm",
        "TensorRT-LLM",
        ItemKind.CONTAINER,
        "nvcr.io/nvidia/tensorrt-llm/release",
        "Compile and serve large language models at top throughput on Blackwell GPUs.",
        (U.GENERATIVE_AI,),
        (("1.2.1", date(2025, 12, 10)), ("1.2.0", date(2025, 11, 14)), ("1.1.0", date(2025, 9, 30))),
        min_gpu_memory_gb=180,
    ),
    ItemSeed(
        "rapids",
        "RAPIDS",
        ItemKind.CONTAINER,
        "nvcr.io/nvidia/rapidsai/base",
        "GPU-accelerated dataframes, machine learning and graph analytics (cuDF, cuML, cuGraph).",
        (U.DATA_SCIENCE,),
        (
            ("25.12-cuda12-py3.13", date(2025, 12, 11)),
            ("25.10-cuda12-py3.13", date(2025, 10, 9)),
            ("25.08-cuda12-py3.13", date(2025, 8, 7)),
        ),
    ),
    ItemSeed(
        "isaac-sim",
        "Isaac Sim",
        ItemKind.CONTAINER,
        "nvcr.io/nvidia/isaac-sim",
        "Simulate and test robots in physically accurate, ray-traced virtual worlds.",
        (U.ROBOTICS, U.DIGITAL_TWINS),
        (("5.1.0", date(2025, 10, 21)), ("5.0.0", date(2025, 8, 11)), ("4.5.0", date(2025, 1, 30))),
        license_terms="NVIDIA Omniverse License Agreement",
        min_gpu_memory_gb=48,
        requires_ray_tracing=True,
    ),
    ItemSeed(
        "usd-viewer",
        "USD Viewer (Kit streaming)",
        ItemKind.CONTAINER,
        "nvcr.io/nvidia/omniverse/usd-viewer",
        "Stream interactive OpenUSD digital twins and design reviews to the browser.",
        (U.DIGITAL_TWINS, U.AI_DESIGN),
        (("109.0.2", date(2025, 11, 6)), ("108.1.0", date(2025, 8, 28))),
        license_terms="NVIDIA Omniverse License Agreement",
        min_gpu_memory_gb=16,
        requires_ray_tracing=True,
    ),
    ItemSeed(
        "cosmos-reason2-8b",
        "Cosmos Reason2 8B",
        ItemKind.NIM,
        "nvcr.io/nim/nvidia/cosmos-reason2-8b",
        "A vision-language reasoning model for physical AI: robots and autonomous machines that understand scenes.",
        (U.ROBOTICS,),
        (("1.6.0", date(2025, 12, 3)), ("1.5.0", date(2025, 10, 28))),
        license=License.NVIDIA_AI_ENTERPRISE,
        min_gpu_memory_gb=24,
    ),
    ItemSeed(
        "cosmos-transfer2-5-2b",
        "Cosmos Transfer2.5 2B",
        ItemKind.NIM,
        "nvcr.io/nim/nvidia/cosmos-transfer2.5-2b",
        "Generate photorealistic synthetic training data from simulation for robots and vehicles.",
        (U.ROBOTICS, U.DIGITAL_TWINS),
        (("1.1", date(2025, 12, 15)), ("1.0", date(2025, 11, 4))),
        license=License.NVIDIA_AI_ENTERPRISE,
        min_gpu_memory_gb=180,
    ),
    ItemSeed(
        "cosmos-embed1",
        "Cosmos Embed1",
        ItemKind.NIM,
        "nvcr.io/nim/nvidia/cosmos-embed1",
        "Video and text embeddings for searching large video collections.",
        (U.DATA_SCIENCE, U.ROBOTICS),
        (("1.0.0", date(2025, 9, 17)),),
        license=License.NVIDIA_AI_ENTERPRISE,
    ),
    ItemSeed(
        "riva-speech",
        "Riva Speech",
        ItemKind.CONTAINER,
        "nvcr.io/nvidia/riva/riva-speech",
        "Speech recognition, translation and text-to-speech for voice bots, in real time.",
        (U.SPEECH, U.GENERATIVE_AI),
        (("2.19.0", date(2025, 3, 20)), ("2.18.0", date(2024, 12, 12))),
        license=License.NVIDIA_AI_ENTERPRISE,
    ),
    ItemSeed(
        "bionemo-framework",
        "BioNeMo Framework",
        ItemKind.CONTAINER,
        "nvcr.io/nvidia/clara/bionemo-framework",
        "Train and fine-tune biomolecular models for drug discovery on a whole NVLink node.",
        (U.LIFE_SCIENCES,),
        (("2.7.1", date(2025, 10, 15)), ("2.6.3", date(2025, 7, 24))),
        license=License.NVIDIA_AI_ENTERPRISE,
        min_gpu_memory_gb=80,
        requires_whole_node=True,
        requires_nvlink=True,
    ),
    ItemSeed(
        "gpu-operator",
        "GPU Operator",
        ItemKind.HELM_CHART,
        "helm.ngc.nvidia.com/nvidia/gpu-operator",
        "Drivers, container toolkit and monitoring for GPUs in your own Kubernetes cluster.",
        (),
        (("v25.10.1", date(2025, 11, 26)), ("v25.3.4", date(2025, 9, 10))),
    ),
]
