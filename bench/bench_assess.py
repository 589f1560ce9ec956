"""Benchmark dynamics assess: per-case inference, whole-process start-up, and growth with case size.

Run:  python bench/bench_assess.py          (prints figures and ratios; takes about a minute)

SPEC section 8 targets: per-case inference at most 10 ms on a typical case; `dynamics assess` as a whole
process at most 150 ms (120 ms the aim), printed beside `python -c pass`; inference growing no faster
than linearly with observations (10,000 in well under a second). The whole-process figures are taken
the way an installed dynamics runs: bytecode compiled and the knowledge-base cache warm; the cold
figure (no cache, as on the very first run after an install or a change to rules/) is printed too.
Timings are the best (inference) or the median (processes) of several runs; on a machine shared with
other work they vary from run to run, so compare figures taken in one run.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dynamics.case.model import load_case, parse_case  # noqa: E402
from dynamics.inference.assessment import assess  # noqa: E402
from dynamics.knowledge.vocabulary import vocabulary  # noqa: E402

TYPICAL = ROOT / "cases" / "rivera-okafor.yaml"


def best_of(func, repeat: int = 5, number: int = 1) -> float:
    """Return the fastest of several timings of `number` calls, per call, in seconds (CPU time of this process)."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        for _ in range(number):
            func()
        times.append((time.process_time() - start) / number)
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


def process_time(args: list[str], repeat: int = 15, env: dict | None = None) -> float:
    """Return the median wall time of running a command, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def per_case() -> dict:
    """Return per-case inference in ms: the typical case, the mean over the examples, generated cases."""
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_batch import synthetic_case
    examples = [load_case(p) for p in sorted((ROOT / "cases").glob("*.yaml"))]
    generated = [parse_case(synthetic_case(i), f"g{i}.yaml") for i in range(50)]
    typical = load_case(TYPICAL)
    for case in examples:
        assess(case)  # compile the knowledge base once, as a long-running process would
    return {"typical": best_of(lambda: assess(typical), 7, 10) * 1000,
            "examples": best_of(lambda: [assess(c) for c in examples], 5) / len(examples) * 1000,
            "generated": best_of(lambda: [assess(c) for c in generated], 3) / len(generated) * 1000,
            "observations": sum(len(s.observations) for s in typical.sessions)}


def start_up() -> dict:
    """Return whole-process times in ms: python -c pass, assess with a warm cache, and with none."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "dynamics")], check=True,
                   stdout=subprocess.DEVNULL)
    command = [sys.executable, "-m", "dynamics", "assess", str(TYPICAL)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)  # fills the knowledge-base cache
    return {"pass": process_time([sys.executable, "-c", "pass"]) * 1000,
            "warm": process_time(command) * 1000,
            "cold": process_time(command, 7, {**os.environ, "DYNAMICS_CACHE": "off"}) * 1000}


def growth() -> list[tuple[int, float, float]]:
    """Return (observations, load ms, assess ms) for 100, 1,000 and 10,000 observations."""
    rows = []
    for n in (100, 1_000, 10_000):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "synthetic.yaml"
            path.write_text(synthetic(n))
            load = best_of(lambda: load_case(path), 3)
            parsed = load_case(path)
            infer = best_of(lambda: assess(parsed), 3)
        rows.append((n, load * 1000, infer * 1000))
    return rows


def main() -> None:
    figures = per_case()
    print(f"per-case inference: {figures['typical']:.1f} ms on {TYPICAL.name} ({figures['observations']} "
          f"observations), {figures['examples']:.1f} ms mean over cases/, {figures['generated']:.1f} ms mean "
          "over 50 generated cases (target at most 10 ms)")
    times = start_up()
    print(f"whole process: dynamics assess {times['warm']:.0f} ms, python -c pass {times['pass']:.0f} ms, "
          f"ratio {times['warm'] / times['pass']:.1f}x (target at most 150 ms); without the knowledge-base "
          f"cache {times['cold']:.0f} ms")
    print("growth with case size (best of 3; linear growth is about 10x per 10x observations):")
    previous = None
    for n, load, infer in growth():
        ratio = "" if previous is None else \
            f"  (x{load / previous[0]:.1f} load, x{infer / previous[1]:.1f} assess for x10 observations)"
        print(f"  {n:>6} observations: load {load:7.1f} ms, assess {infer:6.1f} ms, total {load + infer:7.1f} ms{ratio}")
        previous = (load, infer)


if __name__ == "__main__":
    main()
