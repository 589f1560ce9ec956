"""Benchmark the workspace's caseload and case page on a folder of many cases.

Run:  python bench/bench_serve.py [N]      (default N = 500; prints figures and ratios)

Figures: the time until every row of a cold caseload of N cases is ready (assessed in background
worker processes while the page shows what is ready), a warm caseload page (every row cached by file
content), the page after one file changes (one row recomputed), and a case page cold and cached.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from starlette.testclient import TestClient  # noqa: E402

from dynamics.serve.app import create_app  # noqa: E402
from dynamics.serve.security import Guard  # noqa: E402

TOKEN = "bench-token-0123456789"


def timed(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def main(count: int) -> None:
    examples = sorted((ROOT / "cases").glob("*.yaml"))
    with tempfile.TemporaryDirectory() as folder:
        for i in range(count):
            source = examples[i % len(examples)]
            shutil.copy(source, Path(folder) / f"{source.stem}-{i:04d}.yaml")
        app = create_app(Path(folder), Guard(TOKEN, "127.0.0.1", 8765), "bench")
        client = TestClient(app, base_url="http://127.0.0.1:8765")
        client.headers["Authorization"] = f"token {TOKEN}"
        start = time.perf_counter()
        first = timed(lambda: client.get("/"))
        while "still being read" in client.get("/").text:
            time.sleep(0.1)
        cold = time.perf_counter() - start
        warm = statistics.median(timed(lambda: client.get("/")) for _ in range(5))
        sorted_page = statistics.median(timed(lambda: client.get("/?sort=latest&order=desc&q=anxious")) for _ in range(5))
        one = next(Path(folder).glob("rivera-okafor-*.yaml"))
        with one.open("a", encoding="utf-8") as handle:
            handle.write("# touched\n")
        changed = timed(lambda: client.get("/"))
        name = one.name
        case_cold = timed(lambda: client.get(f"/case/{name}"))
        case_warm = statistics.median(timed(lambda: client.get(f"/case/{name}")) for _ in range(5))
        app.state.workspace.caseload.close()
    cores = os.cpu_count()
    print(f"caseload of {count} cases on {cores} cores")
    print(f"  first page (rows still being read)   {first * 1000:8.0f} ms")
    print(f"  every row ready (cold)               {cold:8.1f} s   ({cold / count * 1000:.0f} ms a case)")
    print(f"  warm page (all rows cached)          {warm * 1000:8.0f} ms   ({cold / warm:.0f}x faster than cold)")
    print(f"  sorted and filtered, warm            {sorted_page * 1000:8.0f} ms")
    print(f"  after one file changed               {changed * 1000:8.0f} ms")
    print(f"  case page, first view                {case_cold * 1000:8.0f} ms")
    print(f"  case page, cached                    {case_warm * 1000:8.0f} ms   ({case_cold / case_warm:.0f}x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
