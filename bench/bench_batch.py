"""Benchmark dynamics batch: throughput and memory of the local pool and a Dask LocalCluster, side by side.

Run:  python bench/bench_batch.py [N ...]      (sizes default to 1000 and 10000)

For each size, N synthetic typical cases are written to a scratch folder and `dynamics batch` runs over
them as a process of its own, on every core with the local pool and then on a Dask LocalCluster of as
many single-threaded worker processes (when dynamics[cluster] is installed); the table shows the time,
the cases per second, the peak memory of the batch process and of its largest worker, and whether both
wrote the same bytes. At the first size a one-job run gives the speed-up. SPEC section 8: batch uses
every core, and memory stays flat as the number of cases grows.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: each synthetic couple leans one way; the ids are behaviour ids from rules/vocabulary.yaml
PROFILES = {
    "chase": (["pursuit", "protest", "reassurance_seeking", "criticism", "bid"],
              ["withdrawal", "stonewalling", "dismissed_bid", "distancing", "defensiveness"]),
    "blame": (["criticism", "blame", "defensiveness", "contempt"],
              ["criticism", "defensiveness", "blame", "turning_against"]),
    "calm": (["bid", "turning_toward", "repair_attempt", "appreciation", "gentle_startup"],
             ["turning_toward", "bid", "reflective_listening", "apology", "shared_ritual"]),
    "quiet": (["bid", "steady_presence", "one_sided_effort", "resentment", "direct_request"],
              ["minimizing_needs", "low_disclosure", "distancing", "touch_avoidance"]),
    "repairing": (["pursuit", "repair_attempt", "gentle_startup", "self_soothing", "bid"],
                  ["withdrawal", "volunteering", "turning_toward", "repair_attempt"]),
}
FREQUENCIES = ("rarely", "sometimes", "often", "constantly")
SOURCES = ("clinician", "self", "partner")


def synthetic_case(index: int) -> str:
    """Return the text of one typical case: two partners, three sessions of about a dozen observations."""
    rng = random.Random(index)
    profile = sorted(PROFILES)[index % len(PROFILES)]
    moves = PROFILES[profile]
    start = dt.date(2026, 1, 5) + dt.timedelta(days=index % 200)
    lines = ["version: 1", f"case_id: synthetic-{index:05d}", "partners:",
             "  - id: A", f"    name: Partner{index}a", "  - id: B", f"    name: Partner{index}b",
             "relationship:", f"  months_together: {rng.randint(3, 240)}",
             f"  living_together: {'true' if rng.random() < 0.7 else 'false'}", "sessions:"]
    for number in range(3):
        lines += [f"  - date: {start + dt.timedelta(weeks=2 * number)}", "    observations:"]
        for pid, pool in zip("AB", moves):
            for behavior in rng.sample(pool, k=min(len(pool), rng.randint(3, 6))):
                lines += [f"      - partner: {pid}", f"        behavior: {behavior}",
                          f"        frequency: {rng.choice(FREQUENCIES)}",
                          f"        source: {rng.choice(SOURCES)}"]
        if index % 97 == 0 and number == 2:
            lines += ["      - partner: B", "        behavior: fear_of_partner", "        frequency: sometimes",
                      "        source: self"]
        lines += ["    episodes:", "      - label: an evening", "        steps:",
                  f"          - {{partner: A, behavior: {moves[0][0]}}}",
                  f"          - {{partner: B, behavior: {moves[1][0]}}}",
                  f"          - {{partner: A, behavior: {moves[0][1]}}}"]
    lines.append("annotations: []")
    return "\n".join(lines) + "\n"


# Runs `dynamics batch` in a process of its own and prints, as JSON, its peak memory and that of the
# workers it started (the largest of them), as the kernel counts them.
_DRIVER = """
import json, resource, sys
from dynamics.cli import cli
try:
    cli.main(sys.argv[1:], prog_name="dynamics")
except SystemExit as stop:
    code = stop.code
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"code": code, "main_kb": own, "worker_kb": workers}))
"""


def run_batch(folder: Path, out: Path, *options: str) -> dict:
    """Run `dynamics batch` as its own process; return seconds, exit code and peak memory (MiB)."""
    command = [sys.executable, "-c", _DRIVER, "batch", str(folder), "-o", str(out), "-q", *options]
    start = time.perf_counter()
    finished = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    try:
        report = json.loads(finished.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise SystemExit(f"bench_batch: batch failed: {finished.stderr.strip()[-800:]}") from None
    if report["code"] not in (0, None):
        raise SystemExit(f"bench_batch: batch exited {report['code']}: {finished.stderr.strip()[-800:]}")
    return {"seconds": seconds, "main": report["main_kb"] / 1024, "worker": report["worker_kb"] / 1024}


def generate(folder: Path, count: int) -> None:
    """Write count synthetic cases into folder, 1,000 to a subfolder."""
    for index in range(count):
        sub = folder / f"part-{index // 1000:03d}"
        if index % 1000 == 0:
            sub.mkdir(parents=True, exist_ok=True)
        (sub / f"case-{index:06d}.yaml").write_text(synthetic_case(index), encoding="utf-8")


def has_dask() -> bool:
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> None:
    """Generate the cases, time the local pool and a Dask LocalCluster at each size, print the table."""
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000]
    cores = os.cpu_count() or 1
    dask = has_dask()
    print(f"dynamics batch on {cores} cores; peak memory of the batch process and of its largest worker")
    print(f"{'cases':>7}  {'local pool':>24}  {'memory main/worker':>19}  "
          f"{'Dask LocalCluster':>24}  {'memory main/worker':>19}  same rows")
    for count in sizes:
        with tempfile.TemporaryDirectory(prefix="dynamics-bench-") as tmp:
            folder = Path(tmp) / "cases"
            generate(folder, count)
            local = run_batch(folder, Path(tmp) / "local.csv", "--jobs", str(cores))
            line = (f"{count:>7}  {local['seconds']:7.1f} s {count / local['seconds']:7.0f} cases/s  "
                    f"{local['main']:7.0f} / {local['worker']:4.0f} MiB")
            if dask:
                remote = run_batch(folder, Path(tmp) / "dask.csv", "--scheduler", "local", "--jobs", str(cores))
                same = (Path(tmp) / "local.csv").read_bytes() == (Path(tmp) / "dask.csv").read_bytes()
                line += (f"  {remote['seconds']:7.1f} s {count / remote['seconds']:7.0f} cases/s  "
                         f"{remote['main']:7.0f} / {remote['worker']:4.0f} MiB  {'yes' if same else 'NO'}")
            else:
                line += "  (Dask not installed: pip install 'dynamics[cluster]')"
            print(line, flush=True)
            if count == sizes[0]:
                single = run_batch(folder, Path(tmp) / "one.csv", "--jobs", "1")
                same = (Path(tmp) / "one.csv").read_bytes() == (Path(tmp) / "local.csv").read_bytes()
                print(f"{'':>7}  1 job: {single['seconds']:.1f} s, speed-up x{single['seconds'] / local['seconds']:.2f} "
                      f"on {cores} cores, same rows: {'yes' if same else 'NO'}", flush=True)


if __name__ == "__main__":
    main()
