"""Sites crawled in one process share one extraction pool and one archive writer."""

from __future__ import annotations

from crawler.shared import Shared, writer_key


def test_the_first_user_starts_a_resource_and_the_last_stops_it() -> None:
    started: list[str] = []
    stopped: list[str] = []

    def start(key: str) -> str:
        started.append(key)
        return f"pool {key}"

    shared: Shared[str, str] = Shared(start, stopped.append)
    first, second = shared.acquire("a"), shared.acquire("a")
    assert first is second and started == ["a"]
    shared.release("a")
    assert stopped == []
    shared.release("a")
    assert stopped == ["pool a"]
    shared.acquire("a")
    assert started == ["a", "a"]


def test_one_archive_named_two_ways_gets_one_writer(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert writer_key("a.db", 64, 0.25) == writer_key(str(tmp_path / "a.db"), 64, 0.25)
