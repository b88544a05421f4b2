"""How the suite is shared out among pytest-xdist workers (``-n 2 --dist loadgroup``, the
default of ``scripts/test``).

Each test file is one unit of work, so a file's module fixtures (server processes, nginx, a
cluster) start once, on one worker. The tests marked ``stress`` (wrk, locust, chaos, floods:
they load the machine on purpose or measure it) are one unit of their own: one worker runs them
one after another, never two at once. Every worker has its own embedded Redis, servers and
ports (session fixtures are per worker; ports come from the kernel), so tests on different
workers share nothing but the CPU.

Units are handed out heaviest first (the stress unit, then files by their number of ``slow``
tests), so no long file starts last and leaves the other worker idle at the end. A run without
xdist keeps the files' order.

xdist's ``loadgroup`` reads a test's unit from the end of its node id (``...@unit``). xdist
3.8 writes that suffix into ``item._nodeid``, which pytest 9.2 no longer reads (the node id
lives in ``item._id``), so every test would be a unit of its own; this module writes the
suffix itself.
"""

from __future__ import annotations

from collections import Counter

import pytest

try:  # pytest >= 9.2 keeps the node id as a structured NodeId in item._id
    from _pytest.nodeid import coerce_node_id
except ImportError:  # older pytest: item._nodeid, which xdist writes too
    coerce_node_id = None

STRESS_GROUP = "stress"


def work_unit(item: pytest.Item) -> str:
    """The unit of work of a test: ``stress``, or its file."""
    if item.get_closest_marker("stress") is not None:
        return STRESS_GROUP
    return item.nodeid.split("::", 1)[0]


def set_node_id(item: pytest.Item, node_id: str) -> None:
    if coerce_node_id is None:
        item._nodeid = node_id
    else:
        item._id = coerce_node_id(node_id)
    assert item.nodeid == node_id, "this pytest keeps node ids elsewhere"


def give_unique_node_ids(items: list[pytest.Item]) -> None:
    """schemathesis names its generated tests by operation (``test_x[GET /q/{queue_id}]``) but
    gives them all the function's node id; xdist hands out tests by node id, so all but one of
    them would silently not run. Each such test gets its name as its node id."""
    counts = Counter(item.nodeid for item in items)
    for item in items:
        if counts[item.nodeid] > 1:
            set_node_id(item, f"{item.nodeid.split('::', 1)[0]}::{item.name}")
    duplicated = [
        node_id for node_id, count in Counter(i.nodeid for i in items).items() if count > 1
    ]
    assert not duplicated, f"tests with the same node id cannot be shared out: {duplicated}"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not hasattr(config, "workerinput"):  # not an xdist worker: nothing to share out
        return
    give_unique_node_ids(items)
    units = {item.nodeid: work_unit(item) for item in items}
    slow_tests: Counter[str] = Counter()
    tests: Counter[str] = Counter()
    for item in items:
        unit = units[item.nodeid]
        tests[unit] += 1
        if item.get_closest_marker("slow") is not None:
            slow_tests[unit] += 1

    def weight(item: pytest.Item) -> tuple[bool, int, int]:
        unit = units[item.nodeid]
        return (unit != STRESS_GROUP, -slow_tests[unit], -tests[unit])

    items.sort(key=weight)  # stable: a file's tests keep their order
    if config.getoption("loadgroup", False):  # a worker's copy of --dist loadgroup
        for item in items:
            set_node_id(item, f"{item.nodeid}@{units[item.nodeid]}")
