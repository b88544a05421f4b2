"""The reverse-proxy deploy files agree with the code. nginx's and Caddy's files are run by
tests/test_proxy_connector*.py; Traefik's cannot be (no Debian package), so it is read here:
its routers, middlewares and services refer to each other and to the auth endpoint."""

from __future__ import annotations

from typing import Any

import yaml

from loadtests.proxy_configs import CADDY_DEPLOY_FILE, NGINX_DEPLOY_FILE, REPOSITORY
from waitroom.sites.proxy_api import AUTH_PATH, FORWARD_MODE, PROXY_PREFIX
from waitroom.sites.proxy_request import QUEUE_HEADER

TRAEFIK_FILE = REPOSITORY / "deploy" / "traefik" / "protect-any-site.yml"
SESSION_HEADERS = ["X-Waitroom-Pass-Id", "X-Waitroom-Buyer", "X-Waitroom-Deadline"]


def traefik() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(TRAEFIK_FILE.read_text())["http"]
    return document


def test_traefik_gates_the_site_and_routes_the_end_link_to_the_waiting_room() -> None:
    http = traefik()
    routers, middlewares, services = http["routers"], http["middlewares"], http["services"]
    for router in routers.values():
        assert router["service"] in services
        assert set(router.get("middlewares", [])) <= set(middlewares)
    site, waitroom = routers["shop"], routers["shop-waitroom"]
    assert waitroom["rule"].startswith(site["rule"])  # the same host, a longer rule
    assert f"PathPrefix(`{PROXY_PREFIX}/`)" in waitroom["rule"]

    (gate,) = [middlewares[name]["forwardAuth"] for name in site["middlewares"]]
    assert gate["address"].endswith(f"{AUTH_PATH}?queue=demo&proxy={FORWARD_MODE}")
    assert gate["authResponseHeaders"] == SESSION_HEADERS
    (queue_header,) = [middlewares[name]["headers"] for name in waitroom["middlewares"]]
    assert {
        name.lower(): value for name, value in queue_header["customRequestHeaders"].items()
    } == {QUEUE_HEADER: "demo"}
    waitroom_servers = services[waitroom["service"]]["loadBalancer"]["servers"]
    assert gate["address"].startswith(waitroom_servers[0]["url"])


def test_nginx_and_caddy_ask_the_auth_endpoint_of_the_code() -> None:
    nginx = NGINX_DEPLOY_FILE.read_text()
    assert f"{AUTH_PATH}?queue=$waitroom_queue;" in nginx
    assert all(
        f"$upstream_http_{name.lower().replace('-', '_')}" in nginx for name in SESSION_HEADERS
    )
    caddy = CADDY_DEPLOY_FILE.read_text()
    assert f"uri {AUTH_PATH}?queue=demo&proxy={FORWARD_MODE}" in caddy
    assert f"copy_headers {' '.join(SESSION_HEADERS)}" in caddy
