"""The cloud-init user data, parsed back and compared whole."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from provisioning import cloud_init
from provisioning.cloud_init import ServiceProxy, user_data_for
from provisioning.service_endpoint import endpoint_secrets_new, nginx_config, token_map

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO7 ada@example.com"
IMAGE = "nvcr.io/nvidia/pytorch:25.01-py3"
NGC = "nvapi-0123456789abcdefSECRET"


def test_the_whole_cloud_config_for_a_service() -> None:
    text = user_data_for(ssh_public_keys=[KEY], image_reference=IMAGE, ngc_api_key=NGC, service_port=8000)

    assert text.startswith("#cloud-config\n")
    assert yaml.safe_load(text) == {
        "package_update": False,
        "package_upgrade": False,
        "ssh_authorized_keys": [KEY],
        "write_files": [
            {
                "path": "/root/.kontor/ngc-api-key",
                "owner": "root:root",
                "permissions": "0600",
                "content": NGC,
                "defer": False,
            }
        ],
        "runcmd": [
            ["sh", "-c", "docker login nvcr.io -u '$oauthtoken' --password-stdin < /root/.kontor/ngc-api-key"],
            ["docker", "pull", IMAGE],
            [
                "docker", "run", "--detach", "--name", "kontor-workload", "--gpus", "all",
                "--restart", "unless-stopped", "--publish", "8000:8000", IMAGE,
            ],
        ],
    }  # fmt: skip


def test_without_a_port_nothing_is_published() -> None:
    config = yaml.safe_load(
        user_data_for(ssh_public_keys=[KEY], image_reference=IMAGE, ngc_api_key=NGC, service_port=None)
    )

    assert config["runcmd"][2] == [
        "docker", "run", "--detach", "--name", "kontor-workload", "--gpus", "all", "--restart", "unless-stopped", IMAGE,
    ]  # fmt: skip


def test_the_ngc_key_appears_only_in_the_root_only_file() -> None:
    text = user_data_for(ssh_public_keys=[KEY], image_reference=IMAGE, ngc_api_key=NGC, service_port=8000)
    config = yaml.safe_load(text)

    assert text.count(NGC) == 1
    [secret_file] = [f for f in config["write_files"] if NGC in f["content"]]
    assert (secret_file["permissions"], secret_file["owner"]) == ("0600", "root:root")
    assert all(NGC not in " ".join(command) for command in config["runcmd"])
    assert NGC not in str(config["ssh_authorized_keys"])


def test_the_key_file_permissions_stay_a_string() -> None:
    """YAML would read an unquoted 0600 as the integer 384: cloud-init wants the octal string."""
    text = user_data_for(ssh_public_keys=[KEY], image_reference=IMAGE, ngc_api_key=NGC, service_port=None)

    assert "permissions: '0600'" in text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("ssh_public_keys", ["ssh-ed25519 AAA\nruncmd: [reboot]"], "ssh_public_key must be one non-empty line"),
        ("ngc_api_key", "key\nruncmd: [reboot]", "ngc_api_key must be one non-empty line"),
        ("image_reference", "nvcr.io/nvidia/pytorch:25.01 --privileged", "image_reference must not contain whitespace"),
    ],
)
def test_unsafe_values_are_refused(field: str, value: object, message: str) -> None:
    arguments: dict[str, Any] = {"ssh_public_keys": [KEY], "image_reference": IMAGE, "ngc_api_key": NGC, field: value}

    with pytest.raises(ValueError, match=message):
        user_data_for(**arguments, service_port=None)


@pytest.mark.parametrize("port", [0, 65536])
def test_ports_outside_the_range_are_refused(port: int) -> None:
    with pytest.raises(ValueError, match=f"service_port must be between 1 and 65535, not {port}"):
        user_data_for(ssh_public_keys=[KEY], image_reference=IMAGE, ngc_api_key=NGC, service_port=port)


def test_without_keys_the_image_is_pulled_anonymously_and_no_ssh_key_is_added() -> None:
    config = yaml.safe_load(
        user_data_for(
            ssh_public_keys=[], image_reference="nvcr.io/nvidia/pytorch:24.12-py3", ngc_api_key="", service_port=None
        )
    )

    assert "ssh_authorized_keys" not in config
    assert "write_files" not in config
    assert config["runcmd"] == [
        ["docker", "pull", "nvcr.io/nvidia/pytorch:24.12-py3"],
        [
            "docker",
            "run",
            "--detach",
            "--name",
            "kontor-workload",
            "--gpus",
            "all",
            "--restart",
            "unless-stopped",
            "nvcr.io/nvidia/pytorch:24.12-py3",
        ],
    ]


def test_every_chosen_key_is_authorized() -> None:
    other = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY grace@example.com"
    config = yaml.safe_load(
        user_data_for(ssh_public_keys=[KEY, other], image_reference=IMAGE, ngc_api_key="", service_port=None)
    )

    assert config["ssh_authorized_keys"] == [KEY, other]


def test_a_nim_container_gets_the_ngc_key_from_a_root_only_env_file() -> None:
    text = user_data_for(
        ssh_public_keys=[KEY], image_reference=IMAGE, ngc_api_key=NGC, service_port=8000, ngc_key_in_container=True
    )
    config = yaml.safe_load(text)

    assert config["write_files"][1] == {
        "path": "/root/.kontor/workload.env",
        "owner": "root:root",
        "permissions": "0600",
        "content": f"NGC_API_KEY={NGC}\n",
        "defer": False,
    }
    assert config["runcmd"][2] == [
        "docker", "run", "--detach", "--name", "kontor-workload", "--gpus", "all", "--restart", "unless-stopped",
        "--publish", "8000:8000", "--env-file", "/root/.kontor/workload.env", IMAGE,
    ]  # fmt: skip
    assert text.count(NGC) == 2  # the login file and the env file, nowhere else
    assert all(NGC not in " ".join(command) for command in config["runcmd"])


def test_without_an_ngc_key_a_nim_gets_no_env_file() -> None:
    config = yaml.safe_load(
        user_data_for(
            ssh_public_keys=[KEY], image_reference=IMAGE, ngc_api_key="", service_port=8000, ngc_key_in_container=True
        )
    )

    assert "write_files" not in config
    assert "--env-file" not in config["runcmd"][1]


def test_a_proxied_service_binds_the_container_to_localhost_behind_a_tls_proxy_with_the_token() -> None:
    secrets = endpoint_secrets_new(reservation_id=42)
    proxy = ServiceProxy(
        config=nginx_config(),
        token_map=token_map(token=secrets.token),
        certificate_pem=secrets.certificate_pem,
        private_key_pem=secrets.private_key_pem,
        image="registry.kontor.example/mirror/nginx:1.27-alpine",
    )

    config = yaml.safe_load(
        user_data_for(ssh_public_keys=[KEY], image_reference=IMAGE, ngc_api_key=NGC, service_port=8000, proxy=proxy)
    )

    files = {f["path"]: (f["permissions"], f["owner"], f["content"]) for f in config["write_files"]}
    assert files["/etc/kontor/proxy/default.conf"] == ("0600", "root:root", proxy.config)
    assert files["/etc/kontor/proxy/token.map"] == ("0600", "root:root", f'"Bearer {secrets.token}" 1;\n')
    assert files["/etc/kontor/proxy/tls/key.pem"] == ("0600", "root:root", secrets.private_key_pem)
    assert files["/etc/kontor/proxy/tls/cert.pem"] == ("0644", "root:root", secrets.certificate_pem)
    assert config["runcmd"][2] == [
        "docker", "run", "--detach", "--name", "kontor-workload", "--gpus", "all", "--restart", "unless-stopped",
        "--publish", "127.0.0.1:8000:8000", IMAGE,
    ]  # fmt: skip
    assert config["runcmd"][3:] == [
        ["docker", "pull", "registry.kontor.example/mirror/nginx:1.27-alpine"],
        [
            "docker", "run", "--detach", "--name", "kontor-proxy", "--restart", "unless-stopped", "--network", "host",
            "--volume", "/etc/kontor/proxy:/etc/nginx/conf.d:ro", "registry.kontor.example/mirror/nginx:1.27-alpine",
        ],
    ]  # fmt: skip
    assert "include /etc/nginx/conf.d/token.map;" in proxy.config
    assert "if ($kontor_token_ok = 0) { return 401; }" in proxy.config
    assert secrets.token not in proxy.config
    assert "listen 8443 ssl;" in proxy.config
    assert "proxy_pass http://127.0.0.1:8000;" in proxy.config
    assert all(secrets.token not in " ".join(command) for command in config["runcmd"])


def test_the_endpoint_certificate_fingerprint_is_its_sha256() -> None:
    secrets = endpoint_secrets_new(reservation_id=7)
    certificate = x509.load_pem_x509_certificate(secrets.certificate_pem.encode())

    assert secrets.fingerprint == certificate.fingerprint(hashes.SHA256()).hex(":").upper()
    assert certificate.subject.rfc4514_string() == "CN=kontor-reservation-7"
    assert secrets.token.startswith("kse_")
    assert len(secrets.token) == 47


@pytest.mark.parametrize("token", ["", 'abc"; return 200; #', "a b"])
def test_a_token_that_could_break_the_proxy_config_is_refused(token: str) -> None:
    with pytest.raises(ValueError, match="the service token must be URL-safe characters only"):
        token_map(token=token)


def test_libyaml_writes_the_document_the_pure_python_dumper_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The user data is emitted by libyaml (``CSafeDumper``) for speed; it must load to the very document PyYAML's
    own ``SafeDumper`` writes, the proxied service with its multi-line files and the token timer included."""
    secrets = endpoint_secrets_new(reservation_id=42)
    proxy = ServiceProxy(
        config=nginx_config(),
        token_map=token_map(token=secrets.token),
        certificate_pem=secrets.certificate_pem,
        private_key_pem=secrets.private_key_pem,
        image="registry.kontor.example/mirror/nginx:1.27-alpine",
        rotation_key="rotation-key-0123456789",
    )
    arguments: dict[str, Any] = {
        "ssh_public_keys": [KEY],
        "image_reference": IMAGE,
        "ngc_api_key": NGC,
        "service_port": 8000,
        "ngc_key_in_container": True,
        "proxy": proxy,
    }
    assert cloud_init._DUMPER is yaml.CSafeDumper
    emitted = user_data_for(**arguments)
    monkeypatch.setattr(cloud_init, "_DUMPER", yaml.SafeDumper)
    pure = user_data_for(**arguments)

    assert emitted.startswith("#cloud-config\n")
    assert yaml.safe_load(emitted) == yaml.safe_load(pure)
    without_proxy = {**arguments, "proxy": None}
    monkeypatch.setattr(cloud_init, "_DUMPER", yaml.CSafeDumper)
    emitted_plain = user_data_for(**without_proxy)
    monkeypatch.setattr(cloud_init, "_DUMPER", yaml.SafeDumper)
    assert emitted_plain == user_data_for(**without_proxy)  # without long scalars, the very same text
