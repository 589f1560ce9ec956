"""Benchmark dynamics batch: N synthetic typical cases, one worker process against every core.

Run:  python bench/bench_batch.py [N]      (N defaults to 1000)

SPEC section 8 target: `dynamics batch` over 1,000 typical cases uses every core and finishes in
seconds. Each run is a whole `dynamics batch` process, so the figures include start-up and writing.
"""

from __future__ import annotations

import csv
import datetime as dt
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


def run_batch(folder: Path, out: Path, jobs: int) -> float:
    """Run `dynamics batch` as its own process and return the wall-clock seconds it took."""
    command = [sys.executable, "-m", "dynamics", "batch", str(folder), "-o", str(out), "--jobs", str(jobs), "-q"]
    start = time.perf_counter()
    finished = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if finished.returncode != 0:
        raise SystemExit(f"bench_batch: batch failed with exit code {finished.returncode}: "
                         f"{finished.stderr.strip()[:500]}")
    return seconds


def main() -> None:
    """Generate the cases, time both runs and print the figures."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="dynamics-bench-") as tmp:
        folder = Path(tmp) / "cases"
        folder.mkdir()
        for index in range(count):
            (folder / f"case-{index:05d}.yaml").write_text(synthetic_case(index), encoding="utf-8")
        single = run_batch(folder, Path(tmp) / "one.csv", 1)
        multi = run_batch(folder, Path(tmp) / "all.csv", cores)
        same = (Path(tmp) / "one.csv").read_bytes() == (Path(tmp) / "all.csv").read_bytes()
        with open(Path(tmp) / "all.csv", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    patterns: dict[str, int] = {}
    for row in rows:
        patterns[row["pattern"]] = patterns.get(row["pattern"], 0) + 1
    print(f"cases:               {count} (synthetic, 3 sessions each)")
    print(f"1 job:               {single:6.2f} s  ({count / single:7.1f} cases/s)")
    print(f"{cores} jobs (all cores): {multi:6.2f} s  ({count / multi:7.1f} cases/s)")
    print(f"speed-up:            {single / multi:6.2f}x on {cores} cores")
    print(f"identical output:    {'yes' if same else 'NO'}")
    print("patterns found:      " + ", ".join(f"{k} {v}" for k, v in sorted(patterns.items())))


if __name__ == "__main__":
    main()
