"""Generate the Python SDK's low-level client (`clients/python/kontor_client/generated/`) from the OpenAPI schema.

`make sdk` runs it; `tests/clients/test_sdk_generated.py` runs it into a temporary directory and fails when the
committed SDK differs (the SDK is stale against the schema). Deterministic: the schema comes from
`manage.py spectacular` under the test settings, openapi-python-client is pinned in requirements-dev.txt, and its
post-hooks run ruff with `--isolated`, so no configuration file outside this repository changes the output.

    .venv/bin/python scripts/generate_sdk.py [--output DIR] [--schema FILE]

Without arguments it rewrites `clients/python/openapi.yaml` and `clients/python/kontor_client/generated/`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SDK = ROOT / "clients" / "python"
SCHEMA = SDK / "openapi.yaml"
GENERATED = SDK / "kontor_client" / "generated"
CONFIG = SDK / "openapi-python-client.yaml"
BIN = Path(sys.executable).parent


def write_schema(target: Path) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings_test"}
    subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--file", str(target)],
        cwd=ROOT,
        env=env,
        check=True,
    )


def generate(*, schema: Path, output: Path) -> None:
    # The post-hooks call ruff by name: the venv's pinned ruff comes first on PATH.
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(schema),
            "--config",
            str(CONFIG),
            "--meta",
            "none",
            "--output-path",
            str(output),
            "--overwrite",
        ],
        cwd=output.parent,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,  # its warnings name the three XML/PDF downloads, handled by the hand layer
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=GENERATED)
    parser.add_argument("--schema", type=Path, default=SCHEMA)
    args = parser.parse_args()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_schema(args.schema)
    generate(schema=args.schema, output=args.output)


if __name__ == "__main__":
    main()
