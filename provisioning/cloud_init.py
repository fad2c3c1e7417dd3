"""The cloud-init user data that turns a fresh GPU server into the customer's running NGC container.

The base image (``KONTOR_OPENSTACK["image"]``) brings the NVIDIA driver, Docker and the NVIDIA Container Toolkit, so
nothing is installed here: no package updates, no downloads but the image itself from nvcr.io. The NGC API key is
written by ``write_files`` to a root-only file (0600) and fed to ``docker login`` on standard input, so it never
appears in a command line, the process list or cloud-init's runcmd script. The whole user data still holds the key:
it is never logged (see ``ServerSpec.user_data``). NIM containers also need the key at run time (they download their
model from NGC): for them it goes into a second root-only file read with ``docker run --env-file``, so the container
sees ``NGC_API_KEY`` and the command line still does not.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

import yaml

NGC_REGISTRY = "nvcr.io"
NGC_KEY_PATH = "/root/.kontor/ngc-api-key"
WORKLOAD_ENV_PATH = "/root/.kontor/workload.env"
PROXY_DIR = "/etc/kontor/proxy"  # mounted as the proxy container's /etc/nginx/conf.d
PROXY_CONTAINER_NAME = "kontor-proxy"
ROTATION_KEY_PATH = "/etc/kontor/rotation.key"
TOKEN_SYNC_PATH = "/usr/local/sbin/kontor-token-sync"
# Once a minute: the sealed token from the server's metadata (Nova puts ``meta`` into meta_data.json); when it changed,
# open it with the rotation key, check its shape, swap the proxy's token file atomically and reload nginx. The
# variables default to the server's paths; tests point them elsewhere and run this very script.
TOKEN_SYNC_SCRIPT = r"""#!/bin/sh
# Kontor: pick up a rotated service token (see provisioning/service_endpoint.py).
set -eu
METADATA_URL="${KONTOR_METADATA_URL:-http://169.254.169.254/openstack/latest/meta_data.json}"
KEY_FILE="${KONTOR_ROTATION_KEY:-/etc/kontor/rotation.key}"
STATE_DIR="${KONTOR_STATE_DIR:-/etc/kontor}"
MAP_FILE="${KONTOR_TOKEN_MAP:-/etc/kontor/proxy/token.map}"
RELOAD="${KONTOR_PROXY_RELOAD:-docker exec kontor-proxy nginx -s reload}"
umask 077
meta="$(curl -fsS --max-time 10 "$METADATA_URL")" || exit 0
read_sealed='import json, sys; print(json.load(sys.stdin).get("meta", {}).get("kontor_service_token", ""))'
sealed="$(printf '%s' "$meta" | python3 -c "$read_sealed")"
[ -n "$sealed" ] || exit 0
if [ -f "$STATE_DIR/token.sealed" ] && [ "$(cat "$STATE_DIR/token.sealed")" = "$sealed" ]; then exit 0; fi
token="$(printf '%s\n' "$sealed" \
  | openssl enc -d -aes-256-cbc -pbkdf2 -iter 100000 -md sha256 -a -A -pass "file:$KEY_FILE")"
if ! printf '%s' "$token" | grep -Eqx 'kse_[A-Za-z0-9_-]{20,100}'; then
  echo "kontor-token-sync: refused a malformed token" >&2
  exit 1
fi
printf '"Bearer %s" 1;\n' "$token" > "$MAP_FILE.new"
mv "$MAP_FILE.new" "$MAP_FILE"
$RELOAD
printf '%s' "$sealed" > "$STATE_DIR/token.sealed"
"""
TOKEN_SYNC_SERVICE = f"""[Unit]
Description=Kontor: pick up a rotated service token
After=docker.service

[Service]
Type=oneshot
ExecStart={TOKEN_SYNC_PATH}
"""
TOKEN_SYNC_TIMER = """[Unit]
Description=Kontor: look for a rotated service token once a minute

[Timer]
OnBootSec=30s
OnUnitActiveSec=60s

[Install]
WantedBy=timers.target
"""


@dataclass(frozen=True)
class ServiceProxy:
    """The TLS reverse proxy in front of the service: its nginx configuration, the token file it admits, the
    certificate (chain) and its private key, the proxy image (an nginx image the operator mirrors) and the rotation
    key that opens a rotated token (empty for endpoints made before rotation existed: no timer then)."""

    config: str
    token_map: str
    certificate_pem: str
    private_key_pem: str
    image: str
    rotation_key: str = ""


CONTAINER_NAME = "kontor-workload"
# libyaml's emitter where PyYAML was built with it: the same YAML (it loads to the same document; only where a long
# quoted scalar is folded may differ) in about a fifth of the pure-Python dumper's time, which every server's first
# provisioning step renders.
_DUMPER = yaml.CSafeDumper if yaml.__with_libyaml__ else yaml.SafeDumper


def user_data_for(
    *,
    ssh_public_keys: Sequence[str],
    image_reference: str,
    ngc_api_key: str,
    service_port: int | None,
    ngc_key_in_container: bool = False,
    proxy: ServiceProxy | None = None,
) -> str:
    """``#cloud-config`` YAML: authorize the SSH keys, log in to nvcr.io, pull the image, run it on every GPU; with
    ``ngc_key_in_container`` (NIM) the container gets ``NGC_API_KEY`` from a root-only env file.

    An order without SSH keys gets a server without any, and an organization without an NGC API key an anonymous
    pull (enough for the free NGC images; NVIDIA AI Enterprise images need the NGC API key).

    With ``proxy`` the container's port is bound to 127.0.0.1 only and an nginx container on the host network
    terminates TLS in front of it and requires the bearer token; its configuration, token file, private key and the
    rotation key are root-only files (0600), and a systemd timer picks up rotated tokens (``TOKEN_SYNC_SCRIPT``).
    """
    for key in ssh_public_keys:
        _require_one_line("ssh_public_key", key)
    _require_one_line("image_reference", image_reference)
    if ngc_api_key:
        _require_one_line("ngc_api_key", ngc_api_key)
    if service_port is not None and not 1 <= service_port <= 65535:
        raise ValueError(f"service_port must be between 1 and 65535, not {service_port}")
    run = ["docker", "run", "--detach", "--name", CONTAINER_NAME, "--gpus", "all", "--restart", "unless-stopped"]
    if proxy is not None:
        _require_one_line("proxy image", proxy.image)
    if service_port is not None:
        bind = "127.0.0.1:" if proxy is not None else ""
        run += ["--publish", f"{bind}{service_port}:{service_port}"]
    with_env = bool(ngc_api_key) and ngc_key_in_container
    if with_env:
        run += ["--env-file", WORKLOAD_ENV_PATH]
    run.append(image_reference)
    login = f"docker login {NGC_REGISTRY} -u '$oauthtoken' --password-stdin < {shlex.quote(NGC_KEY_PATH)}"
    config: dict[str, object] = {
        "package_update": False,
        "package_upgrade": False,
        "ssh_authorized_keys": list(ssh_public_keys),
        "write_files": [
            {
                "path": NGC_KEY_PATH,
                "owner": "root:root",
                "permissions": "0600",
                "content": ngc_api_key,
                "defer": False,
            }
        ]
        + (
            [
                {
                    "path": WORKLOAD_ENV_PATH,
                    "owner": "root:root",
                    "permissions": "0600",
                    "content": f"NGC_API_KEY={ngc_api_key}\n",
                    "defer": False,
                }
            ]
            if with_env
            else []
        ),
        "runcmd": [
            ["sh", "-c", login],
            ["docker", "pull", image_reference],
            run,
        ],
    }
    if not ssh_public_keys:
        del config["ssh_authorized_keys"]
    if not ngc_api_key:
        del config["write_files"]
        config["runcmd"] = [["docker", "pull", image_reference], run]
    if proxy is not None:
        files = [
            (f"{PROXY_DIR}/default.conf", "0600", proxy.config),
            (f"{PROXY_DIR}/token.map", "0600", proxy.token_map),
            (f"{PROXY_DIR}/tls/cert.pem", "0644", proxy.certificate_pem),
            (f"{PROXY_DIR}/tls/key.pem", "0600", proxy.private_key_pem),
        ]
        if proxy.rotation_key:
            _require_one_line("rotation key", proxy.rotation_key)
            files += [
                (ROTATION_KEY_PATH, "0600", proxy.rotation_key + "\n"),
                (TOKEN_SYNC_PATH, "0700", TOKEN_SYNC_SCRIPT),
                ("/etc/systemd/system/kontor-token-sync.service", "0644", TOKEN_SYNC_SERVICE),
                ("/etc/systemd/system/kontor-token-sync.timer", "0644", TOKEN_SYNC_TIMER),
            ]
        config["write_files"] = [
            *config.get("write_files", []),  # type: ignore[misc]
            *(
                {"path": path, "owner": "root:root", "permissions": mode, "content": content, "defer": False}
                for path, mode, content in files
            ),
        ]
        config["runcmd"] = [
            *config["runcmd"],  # type: ignore[misc]
            ["docker", "pull", proxy.image],
            [
                "docker", "run", "--detach", "--name", PROXY_CONTAINER_NAME, "--restart", "unless-stopped",
                "--network", "host", "--volume", f"{PROXY_DIR}:/etc/nginx/conf.d:ro", proxy.image,
            ],
        ]  # fmt: skip
        if proxy.rotation_key:
            config["runcmd"].append(["systemctl", "enable", "--now", "kontor-token-sync.timer"])  # type: ignore[attr-defined]
    return "#cloud-config\n" + yaml.dump(config, Dumper=_DUMPER, sort_keys=False, default_flow_style=False, width=1000)


def _require_one_line(name: str, value: str) -> None:
    if not value.strip() or any(character in value for character in "\r\n\0"):
        raise ValueError(f"{name} must be one non-empty line")
    if name == "image_reference" and any(character.isspace() for character in value):
        raise ValueError("image_reference must not contain whitespace")
