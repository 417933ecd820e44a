"""CPU time and profiles of the processes a benchmark measures (bench/_harness.py's run_client,
bench/_pgbench.py): the core's CPU, PostgreSQL's CPU polled per process, py-spy.

`make bench` skips this file (its name starts with `_`).
"""

from __future__ import annotations

import collections
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import psutil  # type: ignore[import-untyped]


@dataclass(frozen=True)
class CpuWindow:
    """CPU seconds used over a window by the core, by every PostgreSQL process, and by PostgreSQL's
    processes that work for the bench: the backends of its database and the server's own processes
    (postmaster, WAL writer, checkpointer, autovacuum...), not the backends of other clients."""

    core_s: float
    postgres_s: float
    postgres_own_s: float


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


_CLIENT_BACKEND = re.compile(r"\(\d+\)|\[local\]")  # a backend's title names its client: "127.0.0.1(43808)"


class CpuSampler:
    """The CPU time of the core and of PostgreSQL's processes between start() and stop().

    PostgreSQL's processes are polled meanwhile (every `interval` seconds), each counted from its
    time at start (or from zero if it started later) to its last reading: a backend that exits
    inside the window (on a shared server, other clients come and go) keeps what it used until
    its last reading, instead of taking its whole past CPU time out of a sum of two snapshots.
    """

    def __init__(self, core: psutil.Process | None, database: str | None, interval: float = 0.25) -> None:
        self._core, self._database, self._interval = core, database, interval
        self._titles: dict[int, str] = {}
        self._baseline: dict[int, float] = {}
        self._seen: dict[int, float] = {}
        self._core_start = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _read(self) -> dict[int, float]:
        times: dict[int, float] = {}
        for process in psutil.process_iter(["name"]):
            if process.info["name"] not in ("postgres", "postmaster"):
                continue
            try:
                times[process.pid] = cpu_seconds(process)
                if process.pid not in self._titles:
                    self._titles[process.pid] = " ".join(process.cmdline())
            except psutil.Error:
                continue
        return times

    def _poll(self) -> None:
        while not self._stop.wait(self._interval):
            self._seen.update(self._read())

    def _own(self, pid: int) -> bool:
        title = self._titles.get(pid, "")
        if not _CLIENT_BACKEND.search(title):
            return True  # the server's own processes
        return self._database is not None and f" {self._database} " in title

    def start(self) -> None:
        self._core_start = cpu_seconds(self._core) if self._core is not None else 0.0
        self._baseline = self._read()
        self._seen = dict(self._baseline)
        self._thread.start()

    def stop(self) -> CpuWindow:
        core_end = cpu_seconds(self._core) if self._core is not None else 0.0
        self._seen.update(self._read())
        self._stop.set()
        self._thread.join()
        used = {pid: cpu - self._baseline.get(pid, 0.0) for pid, cpu in self._seen.items()}
        return CpuWindow(
            core_s=core_end - self._core_start,
            postgres_s=sum(used.values()),
            postgres_own_s=sum(cpu for pid, cpu in used.items() if self._own(pid)),
        )


def start_profile(pid: int, profile: Path, seconds: float) -> subprocess.Popen[bytes] | None:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        print("py-spy is not installed: no profile")
        return None
    command = [py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "200", "--nonblocking"]
    raw = subprocess.Popen(
        [*command, "--format", "raw", "--output", str(profile.with_suffix(".txt"))],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return raw


def top_functions(collapsed: Path, limit: int = 25) -> list[tuple[str, float, float]]:
    """(function, self %, total %) from py-spy's collapsed stacks."""
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        samples += count
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    if not samples:
        return []
    return [(name, 100 * n / samples, 100 * total[name] / samples) for name, n in own.most_common(limit)]


def write_profile_top(profile: Path, name: str) -> None:
    """<name>_profile_top.txt beside `profile` (bench/results/) from the collapsed stacks py-spy wrote, if any."""
    if not profile.with_suffix(".txt").exists():
        return
    lines = [
        f"{own:5.1f}% self {whole:5.1f}% total  {function}"
        for function, own, whole in top_functions(profile.with_suffix(".txt"))
    ]
    (profile.parent / f"{name}_profile_top.txt").write_text("\n".join(lines) + "\n")
    print("core profile, top functions by own time (py-spy):")
    print("\n".join(lines[:15]))
