"""A crawl shared by several workers through a real redis-server, with one archive writer.

Workers and the writer run as users run them (`govarchive crawl --redis`, `govarchive
ingest`), against a generated 200-article site on 127.0.0.1. The archive they make must be
the one a single process makes; killing a worker or the writer with SIGKILL must lose and
double nothing.
"""

from __future__ import annotations

import json
import pickle
import signal
import time
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from redis import Redis

from bench.redis_server import RedisServer, running_redis
from bench.synthetic import build
from crawler import wire
from crawler.items import Article, NotArchived
from crawler.locks import SiteLock
from crawler.pace import RESERVE
from mirror.server import serving
from mirror.site import UPLOADS, MirrorSite
from tests.conftest import rows, run_cli, site_articles
from tests.shared_crawl import ENV, QUIET, Crawl, Done, crawl_with, finish

PAGES = 200
# An idle worker looks at the shared queue again on Scrapy's 5 s heartbeat: a site one worker
# alone could crawl within it (PAGES x this / 16 requests at once: 8 s) may leave the others
# nothing, as a fast host once did (parts [0, 526, 0]). Real sites are slower still.
SLOW_ARTICLE_SECONDS = 0.64
BUDGET = 30  # pages a budgeted run may fetch, of its PAGES
HEARTBEAT = 5.0  # Scrapy's engine looks at an idle worker's scheduler this often
SAME_TEXT = "url, title, sha256, published, modified, authors, categories, tags, language, image, version"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MirrorSite, str]]:
    """The generated site and its URL; the site logs when it answered each request."""
    site = MirrorSite(build(tmp_path_factory.mktemp("site") / "synthetic", PAGES))
    with serving(site) as base_url:
        yield site, base_url


@pytest.fixture(scope="module")
def site(served: tuple[MirrorSite, str]) -> str:
    return served[1]


@pytest.fixture
def crawl(frontier: str, site: str, tmp_path: Path) -> Callable[[str], Crawl]:
    return lambda name: Crawl(frontier, site, tmp_path / name)


@pytest.fixture(scope="module")
def shared_and_single(
    redis_url: str, served: tuple[MirrorSite, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, object]:
    """The site crawled by one process, and by three workers and a writer (then once more)."""
    Redis.from_url(redis_url).flushall()
    answers, site = served
    folder = tmp_path_factory.mktemp("shared")
    single = folder / "single" / "archive.db"
    shared = Crawl(redis_url, site, folder / "shared")
    before = len(answers.log)
    answers.delay = SLOW_ARTICLE_SECONDS
    first = crawl_with(shared)
    answers.delay = 0.0
    last_answer = max(answer.at for answer in answers.log[before:])
    second = crawl_with(Crawl(redis_url, site, folder / "shared"))
    for _ in range(2):
        run_cli("crawl", "--url", site, "--db", str(single), GOVARCHIVE_EXTRACT_WORKERS="0")
    return {"single": single, "shared": shared.db, "first": first, "second": second, "last_answer": last_answer}


def test_three_workers_and_a_writer_archive_what_one_process_archives(shared_and_single: dict) -> None:
    single, shared = shared_and_single["single"], shared_and_single["shared"]
    assert all(done.returncode == 0 for done in shared_and_single["first"]), shared_and_single["first"]
    assert rows(shared, f"select {SAME_TEXT} from articles order by url") == rows(
        single, f"select {SAME_TEXT} from articles order by url"
    )
    assert rows(shared, "select count(*) from articles")[0][0] == PAGES
    files = "select url, sha256, media_type, text_method, warc_file is not null from attachments order by url"
    assert rows(shared, files) == rows(single, files)  # the articles' images, through the writer too
    assert len(rows(shared, files)) == PAGES
    assert rows(shared, "select status, new from crawl_runs where id = 1") == [("ok", PAGES)]
    outcomes = "select status, new, updated, unchanged, removed, failures, failure_kinds, lost from crawl_runs"
    assert rows(shared, outcomes) == rows(single, outcomes)


def test_check_reads_shared_runs_as_it_reads_one_process_runs(shared_and_single: dict) -> None:
    shared, single = (run_cli("check", "--db", str(shared_and_single[k]), check=False) for k in ("shared", "single"))
    assert (shared.returncode, shared.stdout) == (single.returncode, single.stdout)


def test_a_site_crawled_into_the_archive_already_is_refused_to_workers(crawl: Callable[[str], Crawl]) -> None:
    run = crawl("locked")
    run.folder.mkdir(parents=True)
    lock = SiteLock(run.db, urlsplit(run.base_url).netloc)
    lock.acquire()  # a one-host crawl of the site into this archive is running
    try:
        writer = run.writer(idle_exit=1)
        done = finish(run.worker())
    finally:
        lock.release()
    assert done.returncode == 75, done.output
    assert "already running" in done.output
    assert finish(writer).returncode == 0


def test_every_worker_takes_part_none_quits_while_others_still_queue(shared_and_single: dict) -> None:
    parts = [int(done.output.split(" pages (")[0].rsplit(" ", 1)[1]) for done in shared_and_single["first"][:3]]
    assert sum(p > 0 for p in parts) >= 2, parts


def test_every_worker_exits_on_its_own_soon_after_the_frontier_empties(shared_and_single: dict) -> None:
    """Measured from the site's last answer of the run (dead links on listings are fetched after
    the last article, so an article's fetch time is too early a start)."""
    exits = [done.ended for done in shared_and_single["first"][:3]]
    waited = max(exits) - shared_and_single["last_answer"]
    assert waited <= QUIET + HEARTBEAT + 3, waited


def test_a_second_shared_run_fetches_no_article_again(shared_and_single: dict) -> None:
    """Each host revalidates the discovery pages it cached itself (crawler/distributed.py):
    pages another worker fetched last time come in full, articles never."""
    assert all(done.returncode == 0 for done in shared_and_single["second"]), shared_and_single["second"]
    [first, second] = rows(
        shared_and_single["shared"], "select status, pages, downloads, new, updated, unchanged, skipped from crawl_runs"
    )
    assert second[0] == "ok" and second[3:6] == (0, 0, 0)
    assert json.loads(second[6])["known"] == PAGES
    assert second[2] <= first[1] // 10


def test_a_worker_killed_mid_crawl_loses_no_article(crawl: Callable[[str], Crawl]) -> None:
    run = crawl("killed-worker")
    victim, *others = run.worker(), run.worker(), run.worker()
    writer = run.writer()
    run.wait_for_articles(40)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert all(finish(w).returncode == 0 for w in others)
    assert finish(writer).returncode == 0
    assert run.articles() == PAGES
    assert rows(run.db, "select count(*) from failures where kind not in ('http_error')") == [(0,)]
    assert rows(run.db, "select status, lost from crawl_runs") == [("ok", 0)]


def test_a_shared_run_queues_no_more_than_its_page_budget_and_records_what_it_left(
    served: tuple[MirrorSite, str], crawl: Callable[[str], Crawl]
) -> None:
    """As a one-host run does (tests/test_bounds.py). Each worker queued every page it read of,
    so a sitemap naming millions of pages would have filled Redis."""
    answers, base_url = served
    before = len(answers.log)
    run = crawl("budget")
    done = crawl_with(run, workers=2, env={**ENV, "GOVARCHIVE_MAX_PAGES": str(BUDGET)})
    assert all(d.returncode == 0 for d in done), done
    asked = [a.path for a in answers.log[before:] if a.path != "/robots.txt" and not a.path.startswith(UPLOADS)]
    assert len(asked) <= BUDGET, asked  # the files articles hold have budgets of their own
    archived = {url for (url,) in rows(run.db, "select url from articles")}
    left = {url for (url,) in rows(run.db, "select url from failures where kind = 'budget'")}
    assert archived, what_happened(run, done, asked)  # failed so once in ~11 runs: see its message
    assert {base_url + answers.article_path(a).lstrip("/") for a in answers.articles} <= archived | left
    ((status, stop_reason),) = rows(run.db, "select status, stop_reason from crawl_runs")
    assert status == "ok" and stop_reason.startswith("stopped at CLOSESPIDER_PAGECOUNT: "), stop_reason


def what_happened(run: Crawl, done: list[Done], asked: list[str]) -> str:
    """The site's answers, the run's row and every process's log, for a failure seen too
    rarely to reproduce at will."""
    outcome = rows(run.db, "select status, stop_reason, pages, downloads, new, failures, failure_kinds from crawl_runs")
    logs = "\n".join(f"--- exit {d.returncode}:\n{d.output[-2000:]}" for d in done)
    return f"asked {asked}\nruns {outcome}\n{logs}"


def test_the_writer_killed_and_restarted_loses_nothing_and_writes_nothing_twice(crawl: Callable[[str], Crawl]) -> None:
    run = crawl("killed-writer")
    workers = [run.worker() for _ in range(3)]
    writer = run.writer()
    run.wait_for_articles(40)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    time.sleep(1)  # results pile up in the stream meanwhile
    restarted = run.writer()
    assert all(finish(w).returncode == 0 for w in workers)
    assert finish(restarted).returncode == 0
    assert rows(run.db, "select count(*), count(distinct url) from articles") == [(PAGES, PAGES)]
    assert rows(run.db, "select count(*) from article_versions") == [(PAGES,)]
    assert rows(run.db, "select count(*) - count(distinct url) from failures") == [(0,)]
    assert rows(run.db, "select count from ingest_counts where counter = 'govarchive/articles_new'") == [(PAGES,)]
    assert rows(run.db, "select status, new from crawl_runs") == [("ok", PAGES)]


def test_a_shared_run_without_a_sitemap_says_so_once_from_the_writer(frontier: str, tmp_path: Path) -> None:
    """Whether a sitemap named a page is the run's fact, not a worker's: each worker said none
    was found when another had read them all, as in a run sharing them out."""
    with serving(MirrorSite("cdd-mirror", frozenset({"feed"}))) as base_url:  # no sitemap anywhere
        *workers, writer = crawl_with(Crawl(frontier, base_url, tmp_path), workers=2)
    assert [w.output.count("no sitemap found") for w in workers] == [0, 0], [w.output for w in workers]
    assert writer.output.count("no sitemap found") == 1, writer.output


def test_a_worker_without_a_writer_says_what_to_start(frontier: str, site: str, tmp_path: Path) -> None:
    result = run_cli(
        "crawl",
        "--redis",
        frontier,
        "--url",
        site,
        "--db",
        str(tmp_path / "c.db"),
        check=False,
        GOVARCHIVE_REDIS_JOIN_SECONDS="0.5",
    )
    assert result.returncode == 1
    assert "start `govarchive ingest --redis URL --db ARCHIVE`" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_redis_password_is_required_and_never_printed(redis_url: str, tmp_path: Path) -> None:
    with running_redis(tmp_path, password="s3cret") as url:
        wrong = url.replace(":s3cret@", ":guess@")
        refused = run_cli("crawl", "--redis", wrong, "--url", "http://127.0.0.1:1/", check=False)
        writer = run_cli("ingest", "--redis", url, "--db", str(tmp_path / "a.db"), "--exit-when-idle", "0", "-v")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "cannot reach the frontier at redis://:***@127.0.0.1" in refused.stderr
    assert "guess" not in refused.stderr + refused.stdout
    assert writer.returncode == 0 and "s3cret" not in writer.stderr + writer.stdout


@pytest.mark.parametrize("url", ["http://127.0.0.1:6379", "redis://[::1", "redis://127.0.0.1:99999/0"])
def test_a_redis_url_that_is_not_one_is_a_usage_error(url: str) -> None:
    result = run_cli("crawl", "--redis", url, "--url", "http://127.0.0.1:1/", check=False)
    assert result.returncode == 2 and "not a Redis URL" in result.stderr


def test_results_cross_as_json_with_their_bytes_never_as_pickle() -> None:
    article = Article(
        url="https://a.go.th/1",
        site="a",
        agency="ก",
        title="ข่าว",
        body="เนื้อหา",
        source_url="https://a.go.th/1",
        http_status=200,
        fetched_at="2026-01-01T00:00:00+00:00",
        extractor="x",
        capture=b"\x1f\x8b\x00raw",
    )
    assert wire.decode_result(as_stored(wire.encode_result(article))) == article
    failure = NotArchived(url="https://a.go.th/2", site="a", reason="HTTP 500", kind="http_error", http_status=500)
    assert wire.decode_result(as_stored(wire.encode_result(failure))) == failure
    with pytest.raises(wire.WireError):
        wire.decode_result({b"result": pickle.dumps({"type": "article", "fields": {}})})


def as_stored(entry: dict[str, bytes]) -> dict[bytes, bytes]:
    """A stream entry's fields as Redis gives them back."""
    return {name.encode(): value for name, value in entry.items()}


def test_workers_share_one_delay_per_site_so_three_never_triple_the_load(frontier: str, tmp_path: Path) -> None:
    delay = 0.2
    site = MirrorSite("cdd-mirror")  # logs when it answered each request
    with serving(site) as base_url:
        run = Crawl(frontier, base_url, tmp_path)
        polite = {**ENV, "GOVARCHIVE_UNTHROTTLED_HOSTS": "", "GOVARCHIVE_DOWNLOAD_DELAY": str(delay)}
        for _ in range(3):
            run.worker(polite)
        writer = run.writer()
        assert all(finish(w).returncode == 0 for w in run.workers)
        assert finish(writer).returncode == 0
    times = sorted(answer.at for answer in site.log)
    gaps = [b - a for a, b in pairwise(times)]
    assert len(times) > 40
    assert sorted(gaps)[len(gaps) // 2] >= delay * 0.9  # the median gap
    assert min(gaps) >= delay * 0.5  # a worker's reactor may send a little late, never early in a burst
    assert (len(times) - 1) / (times[-1] - times[0]) <= 1.1 / delay


def test_workers_keep_robots_txts_crawl_delay_between_them(frontier: str, tmp_path: Path) -> None:
    """Loopback is crawled without a delay of our own: the spacing across three workers is the
    site's Crawl-delay, not a third of it."""
    crawl_delay = 0.15
    site = MirrorSite("cdd-mirror")
    site.crawl_delay = crawl_delay
    with serving(site) as base_url:
        run = Crawl(frontier, base_url, tmp_path)
        for _ in range(3):
            run.worker()
        writer = run.writer()
        assert all(finish(w).returncode == 0 for w in run.workers)
        assert finish(writer).returncode == 0
    times = sorted(answer.at for answer in site.log if answer.path != "/robots.txt")
    gaps = [b - a for a, b in pairwise(times)]
    assert len(times) > 40
    assert sorted(gaps)[len(gaps) // 2] >= crawl_delay * 0.9  # the median gap
    assert (len(times) - 1) / (times[-1] - times[0]) <= 1.1 / crawl_delay


def test_workers_pause_while_the_writer_is_behind_and_lose_nothing(crawl: Callable[[str], Crawl]) -> None:
    bound = 300_000
    run = crawl("paused-writer")
    workers = [run.worker({**ENV, "GOVARCHIVE_REDIS_BACKLOG_BYTES": str(bound)}) for _ in range(3)]
    writer = run.writer()
    run.wait_for_articles(20)
    writer.send_signal(signal.SIGSTOP)
    redis = Redis.from_url(run.redis_url)
    time.sleep(4)
    waiting = int(redis.get("govarchive:backlog") or 0)
    time.sleep(2)
    assert int(redis.get("govarchive:backlog") or 0) == waiting  # nobody adds while the writer is behind
    assert bound < waiting < bound * 4  # over the bound by at most the results already on their way
    writer.send_signal(signal.SIGCONT)
    assert all(finish(w).returncode == 0 for w in workers)
    assert finish(writer).returncode == 0
    assert run.articles() == PAGES


def test_redis_killed_and_restarted_from_its_journal_resumes_the_run(redis_url: str, site: str, tmp_path: Path) -> None:
    server = RedisServer(tmp_path, journal=True)
    run = Crawl(server.start(), site, tmp_path / "run")
    workers = [run.worker() for _ in range(2)]
    writer = run.writer()
    run.wait_for_articles(40)
    server.stop(kill=True)
    stopped = [finish(p, timeout=30) for p in [*workers, writer]]
    assert [done.returncode for done in stopped] == [1, 1, 1]
    assert all("again once Redis is back" in done.output for done in stopped)
    server.start()
    worker = run.worker()
    writer = run.writer()
    assert finish(worker).returncode == 0
    assert finish(writer).returncode == 0
    server.stop()
    assert rows(run.db, "select count(*), count(distinct url) from articles") == [(PAGES, PAGES)]
    assert rows(run.db, "select count(*) from article_versions") == [(PAGES,)]
    assert rows(run.db, "select status, new from crawl_runs") == [("ok", PAGES)]


def test_workers_and_the_writer_speak_tls_to_redis(redis_url: str, tmp_path: Path) -> None:
    server = RedisServer(tmp_path, password="s3cret", tls=True)
    url = server.start()
    try:
        with serving(MirrorSite("cdd-mirror")) as base_url:
            run = Crawl(url, base_url, tmp_path / "run")
            worker = run.worker()
            writer = run.writer()
            assert finish(worker).returncode == 0
            assert finish(writer).returncode == 0
    finally:
        server.stop()
    assert url.startswith("rediss://")
    assert run.articles() == len(site_articles("cdd-mirror"))


def test_a_site_has_at_most_its_concurrency_in_flight_across_workers(frontier: str) -> None:
    """Two slots for the site, whoever asks: a third request waits until one is freed."""
    redis = Redis.from_url(frontier)
    reserve = redis.register_script(RESERVE)
    keys = ["govarchive:pace:a.go.th:in-flight", "govarchive:pace:a.go.th:next"]
    answers = [float(reserve(keys=keys, args=[slot, 2, 0.0, 70])) for slot in ("w1-a", "w2-a", "w3-a")]
    assert answers == [0, 0, -1]
    redis.zrem(keys[0], "w1-a")  # the first response came back
    assert float(reserve(keys=keys, args=["w3-a", 2, 0.0, 70])) == 0


def test_a_request_takes_its_slot_only_when_it_may_be_sent_at_once(frontier: str) -> None:
    """Within the delay a request is told how long to wait, and holds nothing meanwhile: a
    send time booked ahead could go out late, close before the next worker's."""
    redis = Redis.from_url(frontier)
    reserve = redis.register_script(RESERVE)
    keys = ["govarchive:pace:b.go.th:in-flight", "govarchive:pace:b.go.th:next"]
    assert float(reserve(keys=keys, args=["w1-b", 2, 1.0, 70])) == 0
    assert 0.9 < float(reserve(keys=keys, args=["w2-b", 2, 1.0, 70])) <= 1.0
    assert redis.zrange(keys[0], 0, -1) == [b"w1-b"]
