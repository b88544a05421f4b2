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
"""

from __future__ import annotations

from collections import Counter

import pytest

STRESS_GROUP = "stress"


def work_unit(item: pytest.Item) -> str:
    """The xdist group of a test: ``stress``, or its file."""
    if item.get_closest_marker("stress") is not None:
        return STRESS_GROUP
    return item.nodeid.split("::", 1)[0]


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook turns the group into the node id
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not hasattr(config, "workerinput"):  # not an xdist worker: nothing to share out
        return
    slow_tests: Counter[str] = Counter()
    tests: Counter[str] = Counter()
    for item in items:
        unit = work_unit(item)
        item.add_marker(pytest.mark.xdist_group(unit))
        tests[unit] += 1
        if item.get_closest_marker("slow") is not None:
            slow_tests[unit] += 1

    def weight(item: pytest.Item) -> tuple[bool, int, int]:
        unit = work_unit(item)
        return (unit != STRESS_GROUP, -slow_tests[unit], -tests[unit])

    items.sort(key=weight)  # stable: a file's tests keep their order
