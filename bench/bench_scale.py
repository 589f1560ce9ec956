"""All the research-scale figures in one run: per-case inference, start-up, and batch at growing N.

Run:  python bench/bench_scale.py [N ...]      (batch sizes default to 1000 and 10000)

Prints per-case inference (bench_assess), whole-process `dynamics assess` against `python -c pass`, then
the batch table of bench_batch: the local pool beside a Dask LocalCluster, with throughput and peak
memory at each N. The README's benchmark table is copied from this output.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_assess  # noqa: E402
import bench_batch  # noqa: E402


def main() -> None:
    figures = bench_assess.per_case()
    print(f"per-case inference: {figures['typical']:.1f} ms typical case ({figures['observations']} observations), "
          f"{figures['examples']:.1f} ms mean over cases/, {figures['generated']:.1f} ms mean over generated cases")
    times = bench_assess.start_up()
    print(f"start-up: dynamics assess {times['warm']:.0f} ms as a whole process, python -c pass {times['pass']:.0f} ms "
          f"(ratio {times['warm'] / times['pass']:.1f}x); {times['cold']:.0f} ms without the knowledge-base cache",
          flush=True)
    bench_batch.main()


if __name__ == "__main__":
    main()
