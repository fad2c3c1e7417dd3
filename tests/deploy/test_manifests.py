"""The Kubernetes manifests, built with kustomize (kubectl's, offline) and validated against the Kubernetes schemas.

Built-in kinds are validated strictly with kubernetes-validate (no cluster, no network). CloudNativePG's custom
resources have no schema there; the test checks the fields the product depends on (synchronous replica, backups).
Every environment variable the manifests set must be one that the settings (or gunicorn's config) read.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBECTL = Path(sys.executable).parent / "kubectl"
KUBERNETES_VERSION = "1.37.0"
QUEUES = ["default", "provisioning", "documents", "email", "metering"]
# Read by Django itself and by prometheus_client (multiprocess mode), not through the settings' environ.Env.
READ_OUTSIDE_SETTINGS = {"DJANGO_SETTINGS_MODULE", "PROMETHEUS_MULTIPROC_DIR"}


def build(path: str) -> list[dict]:
    output = subprocess.run(
        [str(KUBECTL), "kustomize", str(ROOT / "deploy/kubernetes" / path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return [doc for doc in yaml.safe_load_all(output) if doc]


@pytest.fixture(scope="module")
def production() -> list[dict]:
    return build("overlays/production")


def by_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


@pytest.mark.parametrize("path", ["base", "overlays/production"])
def test_every_manifest_validates_against_the_kubernetes_schemas(path):
    docs = build(path)
    custom = [doc for doc in docs if doc["apiVersion"].startswith("postgresql.cnpg.io/")]
    for doc in docs:
        if doc in custom:
            continue
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    assert sorted(doc["kind"] for doc in custom) == ["Cluster", "ScheduledBackup"]
    assert len(docs) == 28


def test_a_misspelt_field_is_refused_by_the_validation():
    deployment = by_kind(build("base"), "Deployment")["kontor-beat"]
    deployment["spec"]["replica"] = 1
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_one_worker_per_queue_one_beat_and_probes_on_the_health_endpoints(production):
    deployments = by_kind(production, "Deployment")
    assert sorted(deployments) == sorted(["kontor-web", "kontor-beat", *(f"kontor-worker-{q}" for q in QUEUES)])
    for queue in QUEUES:
        command = deployments[f"kontor-worker-{queue}"]["spec"]["template"]["spec"]["containers"][0]["command"]
        assert f"--queues={queue}" in command
    beat = deployments["kontor-beat"]["spec"]
    assert (beat["replicas"], beat["strategy"]) == (1, {"type": "Recreate"})
    web = deployments["kontor-web"]["spec"]["template"]["spec"]["containers"][0]
    assert (web["readinessProbe"]["httpGet"]["path"], web["livenessProbe"]["httpGet"]["path"]) == (
        "/readyz",
        "/healthz",
    )
    assert web["image"] == "registry.example/kontor:2026.12.1"
    assert by_kind(production, "HorizontalPodAutoscaler")["kontor-web"]["spec"]["minReplicas"] == 3
    assert by_kind(production, "PodDisruptionBudget")["kontor-web"]["spec"]["minAvailable"] == 1
    assert by_kind(production, "Ingress")["kontor-web"]["spec"]["tls"] == [
        {"hosts": ["portal.gpu-cloud.de"], "secretName": "kontor-web-tls"}
    ]
    assert by_kind(production, "Deployment")["kontor-worker-provisioning"]["spec"]["replicas"] == 4


def test_the_database_has_a_synchronous_replica_and_point_in_time_recovery(production):
    cluster = by_kind(production, "Cluster")["kontor-db"]["spec"]
    assert (cluster["instances"], cluster["postgresql"]["synchronous"]) == (3, {"method": "any", "number": 1})
    assert cluster["backup"]["barmanObjectStore"]["destinationPath"] == "s3://kontor-db-backups/"
    assert by_kind(production, "ScheduledBackup")["kontor-db-daily"]["spec"]["cluster"] == {"name": "kontor-db"}


def environment_the_settings_read() -> set[str]:
    """Every variable name portal.settings_production asks environ.Env for, recorded while it is imported."""
    script = """
import json, os, environ
names = set()
original = environ.Env.get_value
def recording(self, var, *args, **kwargs):
    names.add(var)
    return original(self, var, *args, **kwargs)
environ.Env.get_value = recording
os.environ.update({
    "DJANGO_SECRET_KEY": "s" * 60, "DATABASE_URL": "postgres://u@127.0.0.1/db",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/1", "REDIS_URL": "redis://127.0.0.1:6379/0",
    "KONTOR_INVOICE_BUCKET": "invoices",
})
import portal.settings_production
print(json.dumps(sorted(names)))
"""
    output = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    ).stdout
    gunicorn = set(re.findall(r"os\.environ\.get\(['\"](\w+)['\"]", (ROOT / "deploy/gunicorn.conf.py").read_text()))
    return set(json.loads(output)) | gunicorn


def test_every_environment_variable_the_manifests_set_is_read_by_the_settings(production):
    read = environment_the_settings_read()
    assert {"KONTOR_SELLER_IBAN", "KONTOR_S3_ENDPOINT_URL", "KONTOR_REDBEAT_LOCK_TIMEOUT", "GUNICORN_WORKERS"} <= read

    set_by_manifests: dict[str, str] = {}
    for name in by_kind(production, "ConfigMap")["kontor-config"]["data"]:
        set_by_manifests[name] = "ConfigMap kontor-config"
    for doc in production:
        template = doc.get("spec", {}).get("template", {}).get("spec", {})
        for container in template.get("initContainers", []) + template.get("containers", []):
            used_in_command = set(re.findall(r"\$\((\w+)\)", " ".join(container.get("command", []))))
            for variable in container.get("env", []):
                if variable["name"] not in used_in_command:
                    set_by_manifests[variable["name"]] = f"{doc['kind']} {doc['metadata']['name']}"

    unread = {name: where for name, where in set_by_manifests.items() if name not in read | READ_OUTSIDE_SETTINGS}
    assert unread == {}
    assert len(set_by_manifests) > 15
