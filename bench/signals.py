"""Stress: SIGTERM and Ctrl-C during `lunarsim run --workers 2` always end the command promptly.

    .venv/bin/python bench/signals.py               # 50 trials (about 5 minutes)
    .venv/bin/python bench/signals.py --trials 10 --seed 3

Each trial starts `lunarsim run` with two workers in a session of its own, on one of three
paths through the pool (a streamed run, a run kept whole in shared memory, the SimPy engine),
waits a seeded random time (loading, forking the pool, mid-run), and sends either SIGINT to the
whole process group (what Ctrl-C in a terminal does) or SIGTERM to the command alone (`kill`).
A trial passes when, within `--limit` seconds, the command exits 130 (SIGINT) or 143 (SIGTERM)
(or 0 when the signal came after it finished) without a traceback; no process of its group is
left; and its output folder holds no temporary or half-written file. A signal that arrives while
the interpreter itself is still starting, before any of lunarsim's code runs, ends it as Python
does (killed by the signal: a shell shows 130 or 143); such trials are counted apart. A trial
that hangs is sent SIGABRT (PYTHONFAULTHANDLER prints every thread's stack) and then SIGKILL,
and the stacks are printed.
Goal (issue 18): 0 of 50 trials hang.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

RUNS = {
    "streamed": ["ilrs-2022-announced", "-n", "20000000"],
    "whole": ["ilrs-2022-announced", "-n", "1500000"],
    "simpy": ["ilrs-2026-status", "-n", "200000", "--engine", "simpy"],
}
EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}


@dataclass
class Trial:
    path: str
    signum: signal.Signals
    delay: float
    code: int | None  # None: still running after the limit
    seconds: float
    leftovers: list[str]
    stray: bool  # a process of the group outlived the command
    stderr: str

    @property
    def early(self) -> bool:
        """Stopped by the signal while the interpreter itself was starting, before any of
        lunarsim's code ran (killed by it, or Python's own start-up failing); a shell reports
        the signal's status, 128 + its number, or 1."""
        ran = "/sim/" in self.stderr or "half-written" in self.stderr
        return self.code in (-self.signum, 1) and not ran

    @property
    def ok(self) -> bool:
        code_ok = self.code in (EXIT[self.signum], 0) or self.early
        clean = "Traceback" not in self.stderr or self.early
        return code_ok and clean and not self.leftovers and not self.stray


def alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def half_written(out: Path) -> list[str]:
    """Files in `out` that are temporary or incomplete: a report is whole when it ends with its
    closing tag, the summary when it parses."""
    found = []
    for p in sorted(out.iterdir()):
        text = p.read_text(encoding="utf-8", errors="replace")
        temporary = p.name.startswith(".") or p.suffix == ".tmp"
        if temporary or (p.suffix == ".html" and not text.rstrip().endswith("</html>")):
            found.append(p.name)
        elif p.suffix == ".json":
            try:
                json.loads(text)
            except ValueError:
                found.append(p.name)
    return found


def trial(path: str, signum: signal.Signals, delay: float, limit: float, work: Path) -> Trial:
    out = work / "out"
    out.mkdir(exist_ok=True)
    command = [sys.executable, "-m", "sim", "run", *RUNS[path], "--seed", "1", "--workers", "2", "-q"]
    command += ["--out", str(out), "--summary-json", str(out / "s.json")]
    env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=err, env=env, start_new_session=True
        )
        time.sleep(delay)
        if signum == signal.SIGINT:
            os.killpg(proc.pid, signum)  # Ctrl-C: the terminal signals the foreground group
        else:
            proc.send_signal(signum)  # kill PID: the command alone
        began = time.monotonic()
        try:
            code: int | None = proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            code = None
            proc.send_signal(signal.SIGABRT)  # the stacks of every thread, for the record
            time.sleep(1.0)
        seconds = time.monotonic() - began
        time.sleep(0.2)
        stray = alive(proc.pid)
        if stray or code is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        err.seek(0)
        stderr = err.read()
    leftovers = half_written(out)
    for p in out.iterdir():
        p.unlink()
    return Trial(path, signum, delay, code, seconds, leftovers, stray, stderr)


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--limit", type=float, default=10.0, help="seconds a command may take to stop")
    parser.add_argument("--max-delay", type=float, default=4.0, help="latest signal, seconds after start")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print("load average (1, 5, 15 min) at start: " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    failed = hung = early = 0
    slowest = 0.0
    with tempfile.TemporaryDirectory(prefix="lunarsim-signals-") as folder:
        for k in range(args.trials):
            path = rng.choice(sorted(RUNS))
            signum = rng.choice([signal.SIGINT, signal.SIGTERM])
            delay = rng.uniform(0.3, args.max_delay)
            t = trial(path, signum, delay, args.limit, Path(folder))
            hung += t.code is None
            failed += not t.ok
            if t.code is not None:
                slowest = max(slowest, t.seconds)
            early += t.early
            verdict = "ok" if t.ok else ("HUNG" if t.code is None else "FAILED")
            verdict += " (before lunarsim started)" if t.early else ""
            print(
                f"{k + 1:3d} {t.path:8s} {t.signum.name:7s} at {t.delay:4.2f} s: exit {t.code}, "
                f"{t.seconds:5.2f} s{', left ' + ', '.join(t.leftovers) if t.leftovers else ''}"
                f"{', stray processes' if t.stray else ''}  {verdict}",
                flush=True,
            )
            if not t.ok or t.early:
                print("    " + "\n    ".join(t.stderr.splitlines()[-60:]), flush=True)
    print(
        f"{hung} of {args.trials} trials hung; {failed} failed in all; {early} signalled before "
        f"lunarsim started; slowest exit {slowest:.2f} s"
    )


if __name__ == "__main__":
    main()
