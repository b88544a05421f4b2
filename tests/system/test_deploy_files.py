"""The deployment files in deploy/ are consistent with each other and with the code.

No container runtime or Kubernetes API runs here, so these checks read the files: manifests
parse and reference each other correctly, the commands they run parse with the ``waitroom``
CLI, and their settings load with :meth:`Settings.from_environ` (the shop's with
:meth:`ShopSettings.from_environ`).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from sale_backend.settings import ShopSettings
from service_kit.redis_client import cluster_seed_nodes, is_cluster_url
from tests.support.paths import REPOSITORY_ROOT
from waitroom.cli import _parser
from waitroom.settings import Settings

DEPLOY = REPOSITORY_ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"


def manifests() -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = []
    for path in sorted(KUBERNETES.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        documents += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return documents


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in manifests() if doc["kind"] == kind}


def containerfile_command() -> list[str]:
    text = (DEPLOY / "Containerfile").read_text()
    entrypoint = json.loads(re.search(r"^ENTRYPOINT (\[.*\])$", text, re.M).group(1))  # type: ignore[union-attr]
    return list(entrypoint)


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    present = {p.name for p in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kustomize_renders_offline() -> None:
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(KUBERNETES)], capture_output=True, text=True, check=True
    ).stdout
    kinds = [doc["kind"] for doc in yaml.safe_load_all(rendered) if doc]
    assert kinds.count("Deployment") == 2 and kinds.count("HorizontalPodAutoscaler") == 2


@pytest.mark.parametrize("name", ["waitroom", "shop"])
def test_app_deployments_probe_scale_and_run_the_cli(name: str) -> None:
    deployment = of_kind("Deployment")[name]
    template = deployment["spec"]["template"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= template["metadata"][
        "labels"
    ].items()
    (container,) = template["spec"]["containers"]
    port_names = {port["name"] for port in container["ports"]}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert "http" in port_names and "cpu" in container["resources"]["requests"]
    sources = {next(iter(ref.values()))["name"] for ref in container["envFrom"]}
    assert sources == set(of_kind("ConfigMap")) | set(of_kind("Secret"))

    arguments = _parser().parse_args(containerfile_command()[1:] + container["args"])
    assert (arguments.command, arguments.app, arguments.proxy_headers) == ("serve", name, True)
    assert arguments.port == 8000 and arguments.workers == 1

    autoscaler = of_kind("HorizontalPodAutoscaler")[name]
    assert autoscaler["spec"]["scaleTargetRef"]["name"] == name
    assert 1 <= autoscaler["spec"]["minReplicas"] <= autoscaler["spec"]["maxReplicas"]
    service = of_kind("Service")[name]
    assert service["spec"]["selector"].items() <= template["metadata"]["labels"].items()
    assert {port["targetPort"] for port in service["spec"]["ports"]} <= port_names
    assert of_kind("PodDisruptionBudget")[name]["spec"]["selector"] == deployment["spec"][
        "selector"
    ]


def test_ingress_routes_to_existing_services() -> None:
    services = of_kind("Service")
    (ingress,) = of_kind("Ingress").values()
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            ports = {port["name"] for port in services[backend["name"]]["spec"]["ports"]}
            assert backend["port"]["name"] in ports


def test_settings_of_the_manifests_load() -> None:
    environment = {
        **of_kind("ConfigMap")["waitroom-settings"]["data"],
        **of_kind("Secret")["waitroom-secrets"]["stringData"],
    }
    settings = Settings.from_environ(environment)
    assert settings.cookie_secure is True and settings.trusted_proxy_count == 1
    assert settings.redis_url is not None and is_cluster_url(settings.redis_url)
    assert cluster_seed_nodes(settings.redis_url)[1]
    (container,) = of_kind("Deployment")["shop"]["spec"]["template"]["spec"]["containers"]
    shop_only = {item["name"]: item["value"] for item in container.get("env", [])}
    shop = ShopSettings.from_environ({**environment, **shop_only})
    assert shop.secret_keys == settings.secret_keys and shop.cookie_secure is True
    assert shop.sale_redis_url is not None and shop.sale_redis_url != settings.redis_url
    assert shop.connector.require_api_url() == "http://waitroom"
    assert shop.queue_url.startswith(settings.public_base_url + "/q/")
    # Prometheus needs to know it, and scrapes both apps with the one token
    assert not settings.metrics_token_generated and not shop.metrics_token_generated
    assert shop.metrics_token == settings.metrics_token


def test_prometheus_scrapes_both_apps_with_the_metrics_token() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    for name in ("waitroom", "shop"):
        job = jobs[name]
        assert job["metrics_path"] == "/metrics"
        assert job["authorization"]["type"] == "Bearer"
        assert job["authorization"]["credentials_file"]
        keep = job["relabel_configs"][0]
        assert keep["action"] == "keep" and keep["regex"] == name
        annotations = of_kind("Deployment")[name]["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/path"] == "/metrics"
        assert annotations["prometheus.io/scrape"] == "true"


def test_sale_redis_fsyncs_every_write() -> None:
    (container,) = of_kind("StatefulSet")["sale-redis"]["spec"]["template"]["spec"]["containers"]
    arguments = container["args"]
    assert arguments[arguments.index("--appendfsync") + 1] == "always"
    assert arguments[arguments.index("--appendonly") + 1] == "yes"
    config = (DEPLOY / "redis" / "sale-redis.conf").read_text()
    assert re.search(r"^appendfsync always$", config, re.M)


def test_containerfile_copies_existing_sources() -> None:
    root = DEPLOY.parent
    for line in (DEPLOY / "Containerfile").read_text().splitlines():
        if line.startswith("COPY ") and "--from" not in line:
            for source in line.split()[1:-1]:
                assert list(root.glob(source)), source


def test_nginx_example_forwards_client_headers() -> None:
    config = (DEPLOY / "nginx" / "waitroom.conf").read_text()
    code = "\n".join(line.split("#", 1)[0] for line in config.splitlines())
    assert code.count("{") == code.count("}")
    assert code.count("X-Forwarded-For $proxy_add_x_forwarded_for") == 2
    assert code.count("X-Forwarded-Proto $scheme") == 2
