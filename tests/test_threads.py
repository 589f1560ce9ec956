"""Inference is safe from threads: concurrent assessments equal a plain loop, byte for byte."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

from dynamics import assess, load_case
from dynamics.output.present import as_json, as_text

CASES = sorted(Path(__file__).resolve().parent.parent.glob("cases/*.yaml"))


def test_eight_threads_equal_a_plain_loop():
    """The example cases assessed from 8 threads, four times over, give what a plain loop gives."""
    cases = [load_case(path) for path in CASES]
    plain = [as_json(assess(case)) + as_text(assess(case)) for case in cases]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(lambda case: as_json(assess(case)) + as_text(assess(case)), cases * 4))
    assert threaded == plain * 4


def test_a_run_owns_its_state():
    """Two runs of different cases, kept side by side, do not share traces or facts."""
    first, second = (assess(load_case(path)) for path in CASES[:2])
    assert first.run is not second.run
    assert first.run.traces is not second.run.traces
    assert first.as_dict()["case_id"] != second.as_dict()["case_id"]
