"""Benchmark: grade a class of generated submissions the way an instructor does.

What it does:

1. builds a class of N submissions (default 50) in a temp folder: good ones
   (copies of reference_solution/tcp), buggy ones (copies of buggy fixtures
   from tests/fixtures/tcp, in turn), and hung ones (a loop at import, a
   server that accepts and then never answers, a sleep before it binds);
2. runs ``autograde CLASS --jobs J --out OUT`` as a user would, sampling
   every 0.2 s the resident memory of its whole process tree with psutil:
   the batch process, its graders, and the students' programs, apart;
3. reports wall time, the peak memory of each part, the rows by status and
   the scores by kind (good ones must all get 100), as text or ``--json``;
4. holds the wall time against issue 14's target: 100 submissions with
   ``--jobs 2`` in under 2 minutes on a 2-core machine. A class of another
   size is scaled to 100 linearly (said so in the output): a rough figure.

RSS is summed over processes, so shared pages are counted more than once:
the figures are upper bounds.  Everything stays on this machine; the run is
bounded by the graders' own per-submission time limit.

Usage:
    python benchmarks/grade_class.py                  # 50 submissions, --jobs 2
    python benchmarks/grade_class.py --count 10 --jobs 2 --json
    python benchmarks/grade_class.py --count 100 --jobs 2   # issue 14's target
"""
from __future__ import annotations

import argparse
import csv
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

import machine

ROOT = Path(__file__).resolve().parents[1]
TARGET_COUNT, TARGET_SECONDS = 100, 120.0  # issue 14: a class of 100 with --jobs 2 in under 2 minutes
REFERENCE = ROOT / "reference_solution" / "tcp"
BUGGY = ["no_broadcast", "no_names", "no_leave_notice", "crash_on_disconnect", "echo_only",
         "list_changed_while_iterating", "one_client_at_a_time", "busy_loop_empty_recv"]

HUNG = {
    "loop_at_import": "while True:\n    pass\n",
    "accepts_never_answers": (
        "import socket\nimport threading\nimport time\n\n"
        "server = socket.socket()\nserver.bind(('127.0.0.1', 9090))\nserver.listen()\nkept = []\n"
        "while True:\n    conn, _ = server.accept()\n    kept.append(conn)\n"
        "    threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()\n"),
    "sleeps_before_bind": "import socket\nimport time\n\ntime.sleep(3600)\nsocket.socket().bind(('', 9090))\n",
}


def build_class(folder: Path, count: int) -> tuple:
    """Submissions in ``folder``; returns ({name: kind}, {name: what it is a copy of})."""
    kinds, sources = {}, {}
    buggy = [ROOT / "tests" / "fixtures" / "tcp" / name for name in BUGGY]
    buggy = [path for path in buggy if (path / "server.py").is_file()]
    hung = list(HUNG.items())
    for i in range(count):
        slot = i % 5  # 2 good, 2 buggy, 1 hung in every 5
        name = f"student{i:03d}"
        target = folder / name
        if slot in (0, 1) or not buggy:
            shutil.copytree(REFERENCE, target)
            kinds[name] = "good"
            sources[name] = "reference_solution/tcp"
        elif slot in (2, 3):
            source = buggy[(i // 5 * 2 + slot) % len(buggy)]
            shutil.copytree(source, target)
            kinds[name] = "buggy"
            sources[name] = f"tests/fixtures/tcp/{source.name}"
        else:
            label, source = hung[(i // 5) % len(hung)]
            target.mkdir()
            (target / "server.py").write_text(f"# hung: {label}\n" + source)
            kinds[name] = "hung"
            sources[name] = f"hung: {label}"
    return kinds, sources


class Sampler(threading.Thread):
    """Peak RSS of a process tree, split into the batch process, graders and student code."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak = {"tree": 0, "batch": 0, "graders": 0, "students": 0, "processes": 0}
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                tree = [self.root] + self.root.children(recursive=True)
            except psutil.Error:
                break
            now = {"tree": 0, "batch": 0, "graders": 0, "students": 0, "processes": len(tree)}
            for proc in tree:
                try:
                    rss = proc.memory_info().rss
                    command = " ".join(proc.cmdline())
                except psutil.Error:
                    continue
                now["tree"] += rss
                if proc.pid == self.root.pid:
                    now["batch"] += rss
                elif "child.py" in command or proc.uids().real != self.root.uids().real:
                    now["students"] += rss
                else:
                    now["graders"] += rss
            for key, value in now.items():
                self.peak[key] = max(self.peak[key], value)
            self.stopped.wait(self.interval)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--keep", type=Path, help="copy the --out folder here")
    args = parser.parse_args()

    host = machine.describe()
    work = Path(tempfile.mkdtemp(prefix="chatlab-bench-"))
    try:
        (work / "class").mkdir()
        kinds, sources = build_class(work / "class", args.count)
        out = work / "out"
        command = [sys.executable, "-m", "autograder", str(work / "class"), "--batch", "--jobs", str(args.jobs),
                   "--out", str(out), "--lang", "en"]
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=str(ROOT))
        sampler = Sampler(process.pid)
        sampler.start()
        output, _ = process.communicate()
        wall = time.monotonic() - started
        sampler.stopped.set()
        sampler.join()
        rows = list(csv.DictReader((out / "gradebook.csv").read_text(encoding="utf-8-sig").splitlines()))
        if args.keep:
            shutil.copytree(out, args.keep, dirs_exist_ok=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    by_kind = {}
    for row in rows:
        by_kind.setdefault(kinds.get(row["name"], "?"), []).append(row)
    mb = 1024 * 1024
    figures = {
        "machine": host,
        "submissions": len(rows),
        "jobs": args.jobs,
        "exit_code": process.returncode,
        "wall_seconds": round(wall, 1),
        "seconds_per_submission": round(wall / max(1, len(rows)), 2),
        "peak_rss_mb": {key: round(value / mb, 1) for key, value in sampler.peak.items() if key != "processes"},
        "peak_processes": sampler.peak["processes"],
        "statuses": {s: sum(1 for r in rows if r["status"] == s) for s in sorted({r["status"] for r in rows})},
        "by_kind": {kind: {"count": len(group),
                           "mean_score": round(statistics.mean(float(r["score"]) for r in group), 1),
                           "max_seconds": max(float(r["seconds"]) for r in group)}
                    for kind, group in sorted(by_kind.items())},
        "good_at_full_marks": sum(1 for r in by_kind.get("good", []) if float(r["score"]) == 100),
        # Where the time goes: the few slowest submissions, and what each is a copy of.
        "slowest": [{"name": r["name"], "from": sources.get(r["name"], "?"), "seconds": float(r["seconds"]),
                     "score": float(r["score"])}
                    for r in sorted(rows, key=lambda r: -float(r["seconds"]))[:5]],
    }
    per_hundred = wall * TARGET_COUNT / max(1, len(rows))
    figures["target"] = {"count": TARGET_COUNT, "jobs": 2, "seconds": TARGET_SECONDS,
                         "scaled": len(rows) != TARGET_COUNT, "wall_seconds_for_100": round(per_hundred, 1),
                         "met": per_hundred < TARGET_SECONDS if args.jobs == 2 else None}
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(machine.line(host))
        print(f"graded {figures['submissions']} submissions with --jobs {args.jobs} in {figures['wall_seconds']} s "
              f"({figures['seconds_per_submission']} s each)")
        peak = figures["peak_rss_mb"]
        print(f"peak RSS: whole tree {peak['tree']} MB = batch {peak['batch']} MB + graders {peak['graders']} MB "
              f"+ student code {peak['students']} MB (at most {figures['peak_processes']} processes)")
        print(f"rows: {figures['statuses']}")
        for kind, info in figures["by_kind"].items():
            print(f"  {kind:6} {info['count']:3}  mean score {info['mean_score']:5}  slowest {info['max_seconds']} s")
        print(f"good submissions at 100: {figures['good_at_full_marks']} of {len(by_kind.get('good', []))}")
        print("slowest: " + "; ".join(f"{r['name']} ({r['from']}) {r['seconds']} s" for r in figures["slowest"]))
        target = figures["target"]
        how = f"scaled from {len(rows)}" if target["scaled"] else "measured"
        verdict = {True: "met", False: "NOT met", None: "not comparable (the target is for --jobs 2)"}[target["met"]]
        print(f"target: {TARGET_COUNT} submissions with --jobs 2 in under {TARGET_SECONDS:g} s; "
              f"{target['wall_seconds_for_100']} s for {TARGET_COUNT} ({how}): {verdict}")
    if process.returncode != 0:
        print(output.decode("utf-8", "replace")[-3000:], file=sys.stderr)
    return 0 if process.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
