"""PNG plots of one surge run (matplotlib, Agg backend): arrivals, queue length, admissions
against the set rate, status latency p50/p99, and sales when a shop took part."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from loadtests.sampler import QueueSample

WINDOW_SECONDS = 2.0


def _pyplot() -> ModuleType:
    """Imported on use (matplotlib is a test/load extra), with the file-only Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    return pyplot


def _per_minute(times: Sequence[float], values: Sequence[float]) -> tuple[list[float], list[float]]:
    """Rate of change per minute over windows of about WINDOW_SECONDS."""
    xs: list[float] = []
    ys: list[float] = []
    start = 0
    for index in range(1, len(times)):
        if times[index] - times[start] >= WINDOW_SECONDS or index == len(times) - 1:
            span = times[index] - times[start]
            if span > 0:
                xs.append(times[index])
                ys.append((values[index] - values[start]) * 60 / span)
            start = index
    return xs, ys


def status_latency(history_csv: Path, name: str = "status") -> tuple[list[float], ...]:
    """(seconds, p50 ms, p99 ms) of one request name from locust's full stats history."""
    seconds: list[float] = []
    p50: list[float] = []
    p99: list[float] = []
    if not history_csv.exists():
        return seconds, p50, p99
    first: float | None = None
    with history_csv.open(newline="", encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            if row.get("Name") != name or row.get("50%") in (None, "", "N/A"):
                continue
            stamp = float(row["Timestamp"])
            first = stamp if first is None else first
            seconds.append(stamp - first)
            p50.append(float(row["50%"]))
            p99.append(float(row["99%"]))
    return seconds, p50, p99


def write_plots(
    samples: Sequence[QueueSample],
    history_csv: Path,
    output_dir: Path,
    sales: Sequence[tuple[float, int]] = (),
) -> list[Path]:
    pyplot = _pyplot()
    start = samples[0].redis_ms / 1000
    times = [sample.redis_ms / 1000 - start for sample in samples]
    written: list[Path] = []

    def save(figure: object, name: str) -> None:
        path = output_dir / name
        figure.savefig(path, dpi=90)  # type: ignore[attr-defined]
        pyplot.close(figure)
        written.append(path)

    figure, axis = pyplot.subplots(figsize=(8, 3.5))
    axis.plot(times, [s.arrivals for s in samples], label="fans arrived (total)")
    axis.set_xlabel("seconds"), axis.set_ylabel("fans"), axis.set_title("Arrivals")
    rate_x, rate_y = _per_minute(times, [s.arrivals for s in samples])
    twin = axis.twinx()
    twin.plot(rate_x, rate_y, color="tab:orange", alpha=0.6, label="arrivals per minute")
    twin.set_ylabel("per minute")
    figure.tight_layout()
    figure.legend(loc="lower right", fontsize="small")
    save(figure, "arrivals.png")

    figure, axis = pyplot.subplots(figsize=(8, 3.5))
    axis.plot(times, [s.queue_length for s in samples], label="waiting (incl. pre-queue)")
    axis.set_xlabel("seconds"), axis.set_ylabel("fans"), axis.set_title("Queue length")
    axis.legend(), figure.tight_layout()
    save(figure, "queue_length.png")

    figure, axis = pyplot.subplots(figsize=(8, 3.5))
    admitted_x, admitted_y = _per_minute(times, [s.serving for s in samples])
    axis.plot(admitted_x, admitted_y, label="admissions per minute (measured)")
    set_rate = [s.rate_per_minute if s.state == "open" else 0 for s in samples]
    axis.step(times, set_rate, where="post", color="tab:red", label="set rate (0 = paused)")
    axis.set_xlabel("seconds"), axis.set_ylabel("per minute")
    axis.set_title("Admissions vs set rate"), axis.legend(), figure.tight_layout()
    save(figure, "admissions_vs_rate.png")

    seconds, p50, p99 = status_latency(history_csv)
    figure, axis = pyplot.subplots(figsize=(8, 3.5))
    axis.plot(seconds, p50, label="p50"), axis.plot(seconds, p99, label="p99")
    axis.set_xlabel("seconds"), axis.set_ylabel("ms"), axis.set_title("Status poll latency")
    axis.legend(), figure.tight_layout()
    save(figure, "status_latency.png")

    if sales:
        figure, axis = pyplot.subplots(figsize=(8, 3.5))
        axis.plot([t - start for t, _ in sales], [sold for _, sold in sales], label="sold")
        axis.set_xlabel("seconds"), axis.set_ylabel("tickets"), axis.set_title("Sales")
        axis.legend(), figure.tight_layout()
        save(figure, "sales.png")
    return written
