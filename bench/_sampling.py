"""CPU time and profiles of the processes a benchmark measures (bench/_harness.py's run_client,
bench/_pgbench.py): the core's CPU, PostgreSQL's CPU polled per process, py-spy.

`make bench` skips this file (its name starts with `_`).
"""

from __future__ import annotations

import collections
import multiprocessing
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
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

    The polling runs in a process of its own. A scan of every process on the machine four times a
    second is not cheap, and in a thread of the measured process (bench/bots.py measures the
    gateway it runs in) it took the GIL from the code under test and added its CPU to the figure:
    py-spy of bench/bots.py showed the polling thread in 12 % of the gateway's samples.
    """

    def __init__(self, core: psutil.Process | None, database: str | None, interval: float = 0.25) -> None:
        self._core, self._database, self._interval = core, database, interval
        self._core_start = 0.0
        self._connection: Connection | None = None
        self._poller: BaseProcess | None = None

    def start(self) -> None:
        self._core_start = cpu_seconds(self._core) if self._core is not None else 0.0
        context = multiprocessing.get_context("spawn")  # no fork of a process running grpc threads
        self._connection, theirs = context.Pipe()
        self._poller = context.Process(target=_poll, args=(theirs, self._interval), daemon=True)
        self._poller.start()
        self._connection.recv()  # the baseline is read: the window starts now

    def stop(self) -> CpuWindow:
        core_end = cpu_seconds(self._core) if self._core is not None else 0.0
        if self._connection is None or self._poller is None:
            raise RuntimeError("stop() before start()")
        self._connection.send("stop")
        baseline, seen, titles = self._connection.recv()
        self._poller.join()
        used = {pid: cpu - baseline.get(pid, 0.0) for pid, cpu in seen.items()}
        return CpuWindow(
            core_s=core_end - self._core_start,
            postgres_s=sum(used.values()),
            postgres_own_s=sum(cpu for pid, cpu in used.items() if _own(titles.get(pid, ""), self._database)),
        )


def _own(title: str, database: str | None) -> bool:
    if not _CLIENT_BACKEND.search(title):
        return True  # the server's own processes
    return database is not None and f" {database} " in title


def _read(titles: dict[int, str]) -> dict[int, float]:
    """The CPU seconds of every PostgreSQL process, noting the title of each one seen first."""
    times: dict[int, float] = {}
    for process in psutil.process_iter(["name"]):
        if process.info["name"] not in ("postgres", "postmaster"):
            continue
        try:
            times[process.pid] = cpu_seconds(process)
            if process.pid not in titles:
                titles[process.pid] = " ".join(process.cmdline())
        except psutil.Error:
            continue
    return times


def _poll(connection: Connection, interval: float) -> None:
    """The poller process: the baseline, a reading every `interval` until told to stop, the last one."""
    titles: dict[int, str] = {}
    baseline = _read(titles)
    seen = dict(baseline)
    connection.send("ready")
    while not connection.poll(interval):
        seen.update(_read(titles))
    connection.recv()
    seen.update(_read(titles))
    connection.send((baseline, seen, titles))


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
