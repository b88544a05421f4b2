"""The embedded Redis starts with a data directory given relative to the working directory
(the load tools' report directories, ``loadtests/results/...``): redis-server enters ``--dir``
before it opens its log file, so the path it gets must not be relative."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from waitroom.storage.embedded_redis import EmbeddedRedis


def test_a_relative_data_directory_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with EmbeddedRedis(data_dir=Path("reports") / "queue-redis") as server:
        client = redis.Redis(port=server.port)
        assert client.ping()
        client.close()
    assert (tmp_path / "reports" / "queue-redis" / "redis.log").exists()
