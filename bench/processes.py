"""What a command costs as it runs: wall time, peak memory, and the CPU of its own process and of
every process it starts (a crawl's extraction workers are its grandchildren), read from /proc."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Run:
    seconds: float
    peak_rss_mb: float
    cpu_main: float = 0.0  # CPU seconds of the command's own process
    cpu_others: float = 0.0  # of its descendants (extraction workers, the archive writer, the forkserver)
    # the descendants' CPU seconds by process name (crawler.workers.name_process)
    cpu_by_name: dict[str, float] = field(default_factory=dict)
    # CPU seconds (all processes) of each repeated run this one is the fastest of: the spread
    round_cpu: tuple[float, ...] = ()

    def rate(self, pages: int) -> float:
        return pages / self.seconds

    def named_cpu_ms(self, name: str, pages: int) -> float:
        """CPU per page in ms of the descendants named `name`."""
        return 1000 * self.cpu_by_name.get(name, 0.0) / pages

    def cpu_ms(self, pages: int) -> tuple[float, float, float]:
        """CPU per page in ms: all processes, the main one, the others."""
        main, others = 1000 * self.cpu_main / pages, 1000 * self.cpu_others / pages
        return main + others, main, others


def fastest(runs: list[Run]) -> Run:
    """The fastest of repeated runs (its CPU figures), with the highest peak memory any reached
    and the CPU of each run."""
    quickest = min(runs, key=lambda r: r.seconds)
    peak = max(r.peak_rss_mb for r in runs)
    spent = tuple(r.cpu_main + r.cpu_others for r in runs)
    return Run(quickest.seconds, peak, quickest.cpu_main, quickest.cpu_others, quickest.cpu_by_name, spent)


TICKS = os.sysconf("SC_CLK_TCK")
SAMPLE_SECONDS = 0.05


def tree_sample(pid: int) -> tuple[int, dict[int, tuple[str, float]]]:
    """RSS (kB) of a process and all its descendants, and the name and CPU seconds of each so
    far (its own, not that of children it has reaped: those are counted as themselves)."""
    total, cpu, stack = 0, {}, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            stat = Path(f"/proc/{current}/stat").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        name, after = stat.split("(", 1)[1].rsplit(")", 1)  # the name may hold spaces and brackets
        fields = after.split()
        cpu[current] = name, (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime
        stack.extend(int(c) for c in children)
    return total, cpu


def timed(command: list[str], env: dict[str, str] | None = None) -> Run:
    """Wall time, peak memory and CPU of a command and every process it starts, sampled every
    SAMPLE_SECONDS from /proc: the last moments of each process are missed (at most that much
    CPU each; 0.5% of the shortest crawl). rusage would count a reaped child twice."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as errors:  # not a pipe: a command logging much would block on it
        process = subprocess.Popen(command, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=errors)
        peak, spent = 0, dict[int, tuple[str, float]]()
        while process.poll() is None:
            rss, cpu = tree_sample(process.pid)
            peak, spent = max(peak, rss), {**spent, **cpu}
            time.sleep(SAMPLE_SECONDS)
        if process.returncode != 0:
            errors.seek(-min(2000, errors.tell()), os.SEEK_END)
            raise RuntimeError(f"{' '.join(command)} failed: {errors.read().decode(errors='replace')}")
    main = spent.pop(process.pid, ("", 0.0))[1]
    by_name: dict[str, float] = {}
    for name, seconds in spent.values():
        by_name[name] = by_name.get(name, 0.0) + seconds
    return Run(time.perf_counter() - started, peak / 1024, main, sum(by_name.values()), by_name)
