"""Locust surge suite: fans who queue for tickets, and an organizer acting during the run.

Run through ``python -m loadtests.surge`` (which starts the system and checks invariants), or
directly: ``locust -f loadtests/locustfile.py --host http://127.0.0.1:8000`` with the
``WAITROOM_LOADTEST_*`` variables of :mod:`loadtests.run_settings`.
"""

from __future__ import annotations

import time
from typing import Any

import gevent
from locust import FastHttpUser, LoadTestShape, constant, task

from loadtests.events import EventLog
from loadtests.run_settings import RunSettings
from loadtests.shop_steps import shop_steps

FINAL_STATES = {"sold_out", "closed"}
IDLE_SECONDS = 3600.0


def checked(response: Any, expected: tuple[int, ...]) -> dict[str, Any] | None:
    """Mark unexpected answers as failures (5xx say "server error"); JSON body when OK."""
    if response.status_code in expected:
        try:
            body: dict[str, Any] = response.json()
        except ValueError:
            response.failure(f"not JSON (HTTP {response.status_code})")
            return None
        response.success()
        return body
    kind = "server error" if response.status_code >= 500 else "unexpected answer"
    response.failure(f"{kind}: HTTP {response.status_code}")
    return None


def _problem_type(response: Any) -> str:
    try:
        return str(response.json().get("type", ""))
    except (ValueError, AttributeError):
        return ""


class FanUser(FastHttpUser):
    """One fan: queue page, join, poll at the server's interval, admission, then the shop."""

    wait_time = constant(0)
    weight = 100

    def on_start(self) -> None:
        self.surge = RunSettings.from_environ()
        self.log = EventLog(self.surge.events_path)
        self.shop = shop_steps(self.surge.shop)
        self.finished = False

    @task
    def journey(self) -> None:
        if self.finished:
            gevent.sleep(IDLE_SECONDS)  # this fan is done; it stays counted as an arrival
            return
        self.finished = True
        queue_id = self.surge.queue_id
        api = f"/api/v1/queues/{queue_id}"
        with self.client.get(f"/q/{queue_id}", name="queue page", catch_response=True) as page:
            if page.status_code != 200:
                page.failure(f"{'server error' if page.status_code >= 500 else 'page'}: "
                             f"HTTP {page.status_code}")
                return
        with self.client.post(f"{api}/join", name="join", catch_response=True) as response:
            if response.status_code == 409 and _problem_type(response).endswith("not-joinable"):
                response.success()  # sold out or closed: the right answer, the fan goes home
                self.log.record("turned_away", state="not_joinable")
                return
            joined = checked(response, (200, 201))
        if joined is None:
            return
        arrived = time.time()
        token = joined["token"]
        self.log.record("joined", position=joined["position"], state=joined["state"])
        answer = joined
        while answer["state"] != "admitted":
            if answer["state"] in FINAL_STATES:
                self.log.record("turned_away", state=answer["state"])
                return
            gevent.sleep(answer["poll_after_ms"] / 1000.0)
            headers = {"Authorization": f"Bearer {token}"}
            with self.client.get(
                f"{api}/status", name="status", headers=headers, catch_response=True
            ) as response:
                polled = checked(response, (200,))
            if polled is None:
                continue
            answer = polled
            token = answer.get("token", token)  # a place assigned at the pre-queue opening
        self.log.record(
            "admitted", position=answer["position"], waited_seconds=time.time() - arrived
        )
        self.shop.after_admission(self.client, answer, self.log)


class OrganizerUser(FastHttpUser):
    """Plays the shape's organizer actions (rate change, pause, resume) at their times."""

    fixed_count = 1
    wait_time = constant(0)

    def on_start(self) -> None:
        self.surge = RunSettings.from_environ()
        self.log = EventLog(self.surge.events_path)
        self.started = time.monotonic()
        self.pending = list(self.surge.shape.actions)

    @task
    def act(self) -> None:
        if not self.pending:
            gevent.sleep(IDLE_SECONDS)
            return
        action = self.pending.pop(0)
        gevent.sleep(max(0.0, self.started + action.at_seconds - time.monotonic()))
        headers = {"Authorization": f"Bearer {self.surge.admin_token}"}
        with self.client.put(
            f"/api/v1/admin/queues/{self.surge.queue_id}",
            json=action.fields,
            headers=headers,
            name="organizer",
            catch_response=True,
        ) as response:
            body = checked(response, (200,))
        self.log.record("organizer", label=action.label, fields=action.fields, ok=body is not None)


class SurgeLoadShape(LoadTestShape):
    """Arrivals from the shape's stages; +1 user for the organizer."""

    def tick(self) -> tuple[int, float] | None:
        run = RunSettings.from_environ()
        target = run.shape.target_at(self.get_run_time())  # type: ignore[no-untyped-call]
        if target is None:
            return None
        fans, arrivals_per_second = target
        return fans + 1, arrivals_per_second
