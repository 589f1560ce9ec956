"""Score the engine against every blind validation set: per set, cases fully right and labels right.

Run: python bench/validation_score.py [FOLDER...]   (default: every tests/validation*/ folder)
A label is one of: each partner's strategy, pairing, pattern, stage, relationship stage, safety flag.
A case is right when every label matches and every risk and intervention the reader listed is present.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dynamics.case.model import load_case  # noqa: E402
from dynamics.inference.assessment import assess  # noqa: E402

KEYS = ("pairing", "pattern", "stage", "relationship_stage", "safety")


def labels(got: dict) -> dict:
    return {"pairing": got["pairing"], "pattern": got["cycle"]["pattern"], "stage": got["cycle"]["stage"],
            "relationship_stage": got["relationship_stage"], "safety": got["safety"]["flag"]}


def score(folder: Path) -> tuple[int, int, int, int, list]:
    cases = right = fields = fields_right = 0
    misses = []
    for path in sorted(folder.glob("*.yaml")):
        want = json.loads(path.with_suffix(".expected.json").read_text())
        got = assess(load_case(path)).as_dict()
        wrong = [f"{pid}: {p['strategy']} (reader: {want['strategies'][pid]})"
                 for pid, p in got["partners"].items() if p["strategy"] != want["strategies"][pid]]
        fields += len(got["partners"]) + len(KEYS)
        mine = labels(got)
        wrong += [f"{k}: {mine[k]} (reader: {want[k]})" for k in KEYS if mine[k] != want[k]]
        fields_right += len(got["partners"]) + len(KEYS) - len(wrong)
        have = {r["id"] for r in got["risks"]} | {i["id"] for i in got["interventions"]}
        lacking = sorted((set(want["risks_include"]) | set(want["interventions_include"])) - have)
        if lacking:
            wrong.append("missing " + ", ".join(lacking))
        cases += 1
        right += not wrong
        if wrong:
            misses.append((path.stem, want.get("confidence", "?"), wrong))
    return cases, right, fields, fields_right, misses


def main(argv: list[str]) -> None:
    folders = [Path(a) for a in argv] or sorted(ROOT.glob("tests/validation*/"))
    total = [0, 0, 0, 0]
    for folder in folders:
        cases, right, fields, fields_right, misses = score(folder)
        total = [a + b for a, b in zip(total, (cases, right, fields, fields_right))]
        print(f"{folder.name:<12} cases {right}/{cases}  labels {fields_right}/{fields} "
              f"({fields_right / fields:.1%})")
        for stem, confidence, wrong in misses:
            print(f"    {stem} [{confidence}]: {'; '.join(wrong)}")
    print(f"{'all':<12} cases {total[1]}/{total[0]}  labels {total[3]}/{total[2]} ({total[3] / total[2]:.1%})")


if __name__ == "__main__":
    main(sys.argv[1:])
