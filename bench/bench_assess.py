"""Benchmark dynamics assess: per-case inference, whole-process time, and growth with case size.

Run:  python bench/bench_assess.py          (prints figures and ratios; takes about a minute)

SPEC section 8 targets: inference grows no faster than linearly with observations (10,000 in well
under a second), and `dynamics assess` on a typical case under 0.3 s as a whole process.
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dynamics.inference.assessment import assess  # noqa: E402
from dynamics.case.model import load_case, parse_case  # noqa: E402
from dynamics.knowledge.vocabulary import vocabulary  # noqa: E402

TYPICAL = ROOT / "cases" / "rivera-okafor.yaml"


def best_of(func, repeat: int = 5) -> float:
    """Return the fastest of several timings, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def synthetic(observations: int, seed: int = 7) -> str:
    """Return case-file text with this many observations spread over sessions of 50."""
    rng = random.Random(seed)
    behaviors = [b for b, v in vocabulary().behaviors.items() if v.group != "safety"]
    freqs = ["rarely", "sometimes", "often", "constantly"]
    lines = ["version: 1", "case_id: synthetic", "partners:", "  - {id: A, name: Ana}",
             "  - {id: B, name: Ben}", "sessions:"]
    sessions = max(1, observations // 50)
    for s in range(sessions):
        day = 1 + s % 28
        month = 1 + (s // 28) % 12
        year = 2000 + s // (28 * 12)
        lines.append(f"  - date: {year:04d}-{month:02d}-{day:02d}")
        lines.append("    observations:")
        count = observations // sessions + (1 if s < observations % sessions else 0)
        for _ in range(count):
            lines.append(f"      - {{partner: {rng.choice('AB')}, behavior: {rng.choice(behaviors)}, "
                         f"frequency: {rng.choice(freqs)}, source: clinician}}")
    return "\n".join(lines) + "\n"


def process_time(args: list[str], repeat: int = 7) -> float:
    """Return the median wall time of running a command, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    case = load_case(TYPICAL)
    assess(case)  # compile the knowledge base once, as a long-running process would
    per_case = best_of(lambda: assess(case), 10)
    print(f"per-case inference ({TYPICAL.name}, {sum(len(s.observations) for s in case.sessions)} "
          f"observations): {per_case * 1000:.1f} ms")

    bare = process_time([sys.executable, "-c", "pass"])
    whole = process_time([sys.executable, "-m", "dynamics", "assess", str(TYPICAL)])
    print(f"whole process: dynamics assess {whole * 1000:.0f} ms, python -c pass {bare * 1000:.0f} ms, "
          f"ratio {whole / bare:.1f}x (target under 300 ms)")

    print("growth with case size (best of 3; linear growth is about 10x per 10x observations):")
    previous = None
    for n in (100, 1_000, 10_000):
        text = synthetic(n)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "synthetic.yaml"
            path.write_text(text)
            load = best_of(lambda: load_case(path), 3)
            parsed = parse_case(text, str(path))
            infer = best_of(lambda: assess(parsed), 3)
        growth = "" if previous is None else \
            f"  (x{load / previous[0]:.1f} load, x{infer / previous[1]:.1f} assess for x10 observations)"
        print(f"  {n:>6} observations: load {load * 1000:7.1f} ms, assess {infer * 1000:6.1f} ms, "
              f"total {(load + infer) * 1000:7.1f} ms{growth}")
        previous = (load, infer)

if __name__ == "__main__":
    main()
