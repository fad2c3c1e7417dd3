"""The import contract (``.importlinter``) holds on main and catches a back-edge: each case copies the code, adds
one import that points the wrong way and runs ``lint-imports`` on the copy."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [
    "core",
    "tenants",
    "identity",
    "catalog",
    "reservations",
    "provisioning",
    "metering",
    "billing",
    "webhooks",
    "portal",
]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / ".importlinter"), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kontor")
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            root / package,
            ignore=shutil.ignore_patterns("__pycache__", "locale", "static", "templates"),
        )
    shutil.copy(ROOT / ".importlinter", root / ".importlinter")
    return root


def test_main_keeps_both_contracts(tree: Path) -> None:
    result = _lint(tree)

    assert result.returncode == 0, result.stdout
    assert "Contracts: 2 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "back_edge", "reported"),
    [
        ("core/money.py", "import tenants.models", "core.money -> tenants.models"),
        (
            "tenants/services/organizations.py",
            "import provisioning.drivers",
            "tenants.services.organizations -> provisioning.drivers",
        ),
        ("tenants/services/signup.py", "import portal.celery", "tenants.services.signup -> portal.celery"),
        ("catalog/pricing.py", "import billing.periods", "catalog.pricing -> billing.periods"),
        (
            "reservations/services.py",
            "import billing.budgets.selectors",
            "reservations.services -> billing.budgets.selectors",
        ),
        ("reservations/selectors.py", "import provisioning.models", "reservations.selectors -> provisioning.models"),
        ("metering/services.py", "import billing.models", "metering.services -> billing.models"),
        ("billing/invoices/services.py", "import billing.api.views", "billing.invoices.services -> billing.api.views"),
        ("billing/invoices/services.py", "import webhooks.models", "billing.invoices.services -> webhooks.models"),
        ("webhooks/services.py", "import webhooks.api.views", "webhooks.services -> webhooks.api.views"),
    ],
)
def test_a_back_edge_breaks_the_contract(tree: Path, module: str, back_edge: str, reported: str) -> None:
    path = tree / module
    original = path.read_text()
    path.write_text(original + f"\n{back_edge}  # the deliberate back-edge\n")
    try:
        result = _lint(tree)
    finally:
        path.write_text(original)

    assert result.returncode == 1
    assert reported in result.stdout
    assert "BROKEN" in result.stdout
