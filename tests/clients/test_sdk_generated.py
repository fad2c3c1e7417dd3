"""The committed SDK is what `make sdk` generates from the current schema: regenerate into a temporary directory
and compare every file. A failure here means: run `make sdk` and commit the result."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "clients" / "python"


def tree(base: Path) -> dict[str, bytes]:
    return {str(path.relative_to(base)): path.read_bytes() for path in sorted(base.rglob("*")) if path.is_file()}


def test_the_committed_sdk_matches_the_current_schema(tmp_path):
    schema = tmp_path / "openapi.yaml"
    output = tmp_path / "generated"

    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_sdk.py"), "--output", str(output), "--schema", str(schema)],
        cwd=ROOT,
        check=True,
    )

    assert filecmp.cmp(schema, SDK / "openapi.yaml", shallow=False), "the schema changed: run `make sdk`"
    fresh, committed = tree(output), tree(SDK / "kontor_client" / "generated")
    assert sorted(fresh) == sorted(committed), "operations or models were added or removed: run `make sdk`"
    assert [name for name in fresh if fresh[name] != committed[name]] == [], "stale generated files: run `make sdk`"
