"""The case-file writer keeps every byte the clinician wrote, refuses bad entries, and writes safely."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynamics.record import writer
from dynamics.case.model import Annotation, Episode, Observation, Session, Step, load_case, parse_case
from dynamics.case.model import contents as plain
from dynamics.errors import CaseError, DynamicsError, InputError
from dynamics.knowledge.vocabulary import vocabulary

ROOT = Path(__file__).resolve().parents[1]
BOM = b"\xef\xbb\xbf"
DAY = dt.date(2026, 11, 1)
BEHAVIORS = ("pursuit", "withdrawal", "bid", "stonewalling", "repair_attempt", "criticism")
FREQUENCIES = ("never", "rarely", "sometimes", "often", "constantly")
ALL_GROUPS = tuple(vocabulary().groups)

MINIMAL = """\
# minimal case
version: 1
case_id: tiny
partners:
  - id: A
    name: Ana   # first partner
  - id: B
sessions:
  - date: 2026-10-01
    observations:
      - partner: A
        behavior: pursuit
annotations: []
"""




_EMPTY = re.compile(r"^(\s*(?:-\s+)?[A-Za-z_]+:)[ \t]+(?:\[[ \t]*\]|~|null)(?=[ \t]*(?:#[^\r\n]*)?\r?\n?$)")


def unmarked(line: str) -> str:
    """Drop an empty-list or null marker after a key: the one change the writer may make to a line."""
    return _EMPTY.sub(r"\1", line)


def with_final_break(data: bytes) -> str:
    """Return the text with a line break after its last line (the writer may add exactly that)."""
    text = data.decode("utf-8-sig")
    if text and not text.endswith("\n"):
        text += "\r\n" if "\r\n" in text else "\n"
    return text


LAST_LINE_HINT = "end the file with a line break (Enter after the last line), then try again"


def grown(old: str, new: str) -> bool:
    """Say whether new is an inline list's old line with one span inserted (a new inline entry)."""
    if not ("[" in old or "{" in old) or len(new) <= len(old):
        return False
    prefix = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), len(old))
    return new.endswith(old[prefix:])


def is_subsequence(old: list[str], new: list[str]) -> bool:
    """Say whether every line of old appears in new, in the same order, kept or grown inline."""
    rest = iter(new)
    return all(any(line == other or grown(line, other) for other in rest) for line in old)


# --- generated case files ------------------------------------------------------------------------

_WORDS = ("calm", "late", "Tom", "weekend", "phone", "said so", "#hash", "ünïcode", "—", "x: y", "it's")


@st.composite
def case_files(draw):
    """Draw a valid case file written in a random mix of YAML styles, comments and blank lines."""
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    step = draw(st.sampled_from([2, 4]))
    offset = draw(st.sampled_from([0, 2, 4]))
    gap = draw(st.sampled_from([2, 4]))
    words = st.lists(st.sampled_from(_WORDS), min_size=1, max_size=4).map(" ".join)
    out: list[str] = []

    def emit(line: str) -> None:
        if draw(st.integers(0, 5)) == 0:
            out.append(" " * draw(st.integers(0, 8)) + "# " + draw(words))
        if draw(st.integers(0, 7)) == 0:
            out.append("")
        out.append(line)

    def trailing() -> str:
        return "  # " + draw(words) if draw(st.integers(0, 4)) == 0 else ""

    def text(value: str) -> str:
        style = draw(st.sampled_from(["single", "double"]))
        return "'" + value.replace("'", "''") + "'" if style == "single" else '"' + value + '"'

    def block_item(col: int, pairs: list[tuple[str, str]]) -> None:
        for i, (key, value) in enumerate(pairs):
            head = " " * col + "-" + " " * (gap - 1) if i == 0 else " " * (col + gap)
            if value.startswith("|"):
                out.append(f"{head}{key}: |")
                for body in value[1:].split("\n"):
                    out.append(" " * (col + gap + step) + body if body else "")
            else:
                (out.append if i == 0 else emit)(f"{head}{key}: {value}{trailing()}")

    def observation(col: int, flow: bool) -> None:
        partner = draw(st.sampled_from("AB"))
        behavior = draw(st.sampled_from(BEHAVIORS))
        if flow:
            emit(f"{' ' * col}- {{partner: {partner}, behavior: {behavior}}}{trailing()}")
            return
        pairs = [("partner", partner), ("behavior", behavior)]
        if draw(st.booleans()):
            pairs.append(("frequency", draw(st.sampled_from(FREQUENCIES))))
        note = draw(st.sampled_from(["none", "quoted", "block"]))
        if note == "quoted":
            pairs.append(("note", text(draw(words))))
        elif note == "block":
            pairs.append(("note", "|" + draw(words) + "\n# not a comment\n\n" + draw(words)))
        block_item(col, pairs)

    def listing(col: int, key: str, style: str, make) -> None:
        if style == "absent":
            return
        if style in ("[]", "~", "null", ""):
            emit(f"{' ' * col}{key}:{' ' + style if style else ''}{trailing()}")
        elif style == "flow":
            emit(f"{' ' * col}{key}: [{', '.join(make(None) for _ in range(draw(st.integers(1, 2))))}]{trailing()}")
        elif style == "flow-lines":
            emit(f"{' ' * col}{key}: [")
            for _ in range(draw(st.integers(1, 2))):
                out.append(" " * (col + step) + make(None) + ",")
            out.append(" " * col + "]")
        else:
            emit(f"{' ' * col}{key}:{trailing()}")
            for _ in range(draw(st.integers(1, 3))):
                make(col + offset)

    def flow_observation(col):
        text_ = f"{{partner: {draw(st.sampled_from('AB'))}, behavior: {draw(st.sampled_from(BEHAVIORS))}}}"
        if col is None:
            return text_
        choice = draw(st.booleans())
        observation(col, choice)
        return ""

    def annotation(col):
        entry = f"{{kind: note, date: 2026-0{draw(st.integers(1, 9))}-1{draw(st.integers(0, 9))}, by: dr, text: {text(draw(words))}}}"
        if col is None:
            return entry
        block_item(col, [("kind", "note"), ("date", "2026-05-05"), ("by", "dr"), ("text", text(draw(words)))])
        return ""

    for _ in range(draw(st.integers(0, 3))):
        out.append("# " + draw(words))
    sections = draw(st.permutations(["partners", "relationship", "sessions", "annotations"]))
    emit(f"version: 1{trailing()}")
    emit("case_id: generated-case")
    sessions = draw(st.integers(1, 3))
    for section in sections:
        if section == "partners":
            emit(f"partners:{trailing()}")
            block_item(offset, [("id", "A"), ("name", text("Ana"))])
            block_item(offset, [("id", "B")])
        elif section == "relationship" and draw(st.booleans()):
            emit("relationship:")
            emit(" " * step + f"months_together: {draw(st.integers(0, 200))}{trailing()}")
        elif section == "sessions":
            emit("sessions:")
            for n in range(sessions):
                date = f"2026-0{n + 2}-1{draw(st.integers(0, 9))}"
                if draw(st.integers(0, 5)) == 0:
                    emit(f"{' ' * offset}- {{date: {date}}}")
                    continue
                block_item(offset, [("date", date)])
                style = draw(st.sampled_from(["block", "block", "flow", "flow-lines", "[]", "~", "", "absent"]))
                listing(offset + gap, "observations", style, flow_observation)
        elif section == "annotations":
            style = draw(st.sampled_from(["[]", "~", "", "block", "flow", "absent"]))
            listing(0, "annotations", style, annotation)
    text_ = nl.join(out) + (nl if draw(st.booleans()) else "")
    parse_case(text_, "generated.yaml")
    return (BOM if draw(st.integers(0, 5)) == 0 else b"") + text_.encode("utf-8")


free_text = st.text(min_size=1, max_size=40).filter(lambda s: s.strip())


@st.composite
def requests(draw, sessions: int):
    """Draw one valid annotation request: (writer function name, keyword arguments)."""
    kind = draw(st.sampled_from(["note", "observe", "episode", "session", "insert", "override"]))
    if kind == "note":
        return kind, {"text": draw(free_text)}
    if kind == "observe":
        return kind, {"partner": draw(st.sampled_from("AB")), "behavior": draw(st.sampled_from(BEHAVIORS)),
                      "frequency": draw(st.sampled_from(FREQUENCIES)),
                      "note": draw(st.none() | free_text), "session": draw(st.integers(-1, sessions - 1))}
    if kind == "episode":
        steps = draw(st.lists(st.tuples(st.sampled_from("AB"), st.sampled_from(BEHAVIORS)), min_size=1, max_size=4))
        return kind, {"label": draw(free_text), "steps": steps, "session": draw(st.integers(-1, sessions - 1))}
    if kind == "session":
        return kind, {}
    if kind == "insert":   # a missed session, entered late: before the latest one
        return kind, {"back": draw(st.integers(1, 60)), "covered": draw(st.sampled_from([None, "all", ("pursue",)]))}
    return kind, {"conclusion": "cycle.pattern", "value": draw(st.sampled_from(["pursue-withdraw", "none"])),
                  "reason": draw(free_text)}


def perform(path: Path, kind: str, args: dict, case) -> tuple[dict, dict]:
    """Carry out a request; return the annotation and the session change a reader should see."""
    if kind == "note":
        writer.add_note(path, args["text"], by="dr tester", date=DAY)
        return {"kind": "note", "text": args["text"]}, {}
    if kind == "observe":
        target = case.sessions[args["session"]] if args["session"] >= 0 else case.sessions[-1]
        when = target.date if args["session"] >= 0 else None
        writer.add_observation(path, args["partner"], args["behavior"], args["frequency"], args["note"],
                               session_date=when, by="dr tester", date=when or DAY)
        obs = Observation(args["partner"], args["behavior"], args["frequency"], "clinician", args["note"])
        return ({"kind": "observe", "partner": args["partner"], "behavior": args["behavior"],
                 "frequency": args["frequency"], "source": "clinician", "text": args["note"],
                 "session": target.date, "date": when or DAY},
                {"session": target.date, "observation": plain(obs)})
    if kind == "episode":
        target = case.sessions[args["session"]] if args["session"] >= 0 else case.sessions[-1]
        writer.add_episode(path, args["label"], args["steps"], session_date=target.date, by="dr tester",
                           date=target.date)
        episode = Episode(args["label"], tuple(Step(p, b) for p, b in args["steps"]))
        return ({"kind": "episode", "label": args["label"], "session": target.date, "date": target.date},
                {"session": target.date, "episode": plain(episode)})
    if kind == "session":
        date = case.sessions[-1].date + dt.timedelta(days=7)
        writer.add_session(path, date, by="dr tester")
        return {"kind": "session", "session": date, "date": date}, {"new_session": plain(Session(date))}
    if kind == "insert":
        taken = {s.date for s in case.sessions}
        date = case.sessions[-1].date - dt.timedelta(days=args["back"])
        while date in taken:
            date -= dt.timedelta(days=1)
        writer.add_session(path, date, by="dr tester", covered=args["covered"])
        groups = ALL_GROUPS if args["covered"] == "all" else args["covered"]
        return {"kind": "session", "session": date, "date": date}, {"new_session": plain(Session(date, covered=groups))}
    writer.add_judgement(path, "override", args["conclusion"], args["value"], args["reason"], by="dr tester",
                         date=DAY)
    return {"kind": "override", "conclusion": args["conclusion"], "value": args["value"],
            "reason": args["reason"], "session": case.sessions[-1].date}, {}


def expected_case(old, note: dict, change: dict) -> dict:
    """Return the old case as plain data plus exactly the requested additions."""
    shape = plain(old)
    fields = {"date": DAY, "by": "dr tester", **note}
    shape["annotations"].append(plain(Annotation(**fields)))
    for session in shape["sessions"]:
        if session["date"] == change.get("session"):
            if "observation" in change:
                session["observations"].append(change["observation"])
            if "episode" in change:
                session["episodes"].append(change["episode"])
    if "new_session" in change:   # in date order, after the latest or between earlier sessions
        shape["sessions"].append(change["new_session"])
        shape["sessions"].sort(key=lambda session: session["date"])
    return shape


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), original=case_files())
def test_annotating_keeps_every_original_line_and_adds_exactly_the_entry(data, original):
    """For any styled case file, an annotation keeps every original line in order and adds only itself."""
    old = parse_case(original, "generated.yaml")
    kind, args = data.draw(requests(len(old.sessions)))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generated.yaml"
        path.write_bytes(original)
        try:
            note, change = perform(path, kind, args, old)
        except CaseError as err:   # the one allowed refusal: block text ending the file without a break
            assert (err.hint, path.read_bytes()) == (LAST_LINE_HINT, original)
            return
        result = path.read_bytes()
        assert sorted(os.listdir(folder)) == ["generated.yaml"]
    assert result.startswith(BOM) == original.startswith(BOM)
    old_lines = [unmarked(s) for s in with_final_break(original).splitlines(keepends=True)]
    new_lines = [unmarked(s) for s in with_final_break(result).splitlines(keepends=True)]
    assert is_subsequence(old_lines, new_lines)
    assert plain(parse_case(result, "generated.yaml")) == expected_case(old, note, change)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(original=case_files(), bad=st.sampled_from([
    ("observe", {"partner": "A", "behavior": "pursuitt"}),
    ("observe", {"partner": "Z", "behavior": "pursuit"}),
    ("observe", {"partner": "A", "behavior": "pursuit", "frequency": "alwayss"}),
    ("observe", {"partner": "A", "behavior": "pursuit", "session_date": dt.date(2030, 1, 1)}),
    ("episode", {"label": "x", "steps": [("A", "bidd")]}),
    ("override", {"conclusion": "cycle.pattern", "value": "pursue-withdrew"}),
    ("override", {"conclusion": "partners.C.strategy", "value": "secure"}),
    ("session", {"date": dt.date(2026, 1, 1), "observations": [{"partner": "Z", "behavior": "pursuit"}]}),
    ("session", {"date": dt.date(2026, 1, 1), "covered": "pursue,nowhere"}),
]))
def test_a_refused_annotation_leaves_the_bytes_identical(original, bad):
    """An entry that would make the file invalid is refused with a located error and changes no byte."""
    kind, args = bad
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generated.yaml"
        path.write_bytes(original)
        with pytest.raises(DynamicsError) as caught:
            if kind == "observe":
                writer.add_observation(path, by="dr", **args)
            elif kind == "episode":
                writer.add_episode(path, by="dr", **args)
            elif kind == "override":
                writer.add_judgement(path, "override", args["conclusion"], args["value"], "why", by="dr")
            else:
                writer.add_session(path, by="dr", **args)
        assert path.read_bytes() == original
        assert sorted(os.listdir(folder)) == ["generated.yaml"]
    assert caught.value.file in (str(path), "VALUE", "CONCLUSION", "--partner", "--covered")


def test_refusal_names_the_file_the_place_and_the_fix(tmp_path):
    """A bad behaviour id is refused with the file, the line of the place and a suggestion."""
    path = tmp_path / "tiny.yaml"
    path.write_text(MINIMAL)
    with pytest.raises(CaseError) as caught:
        writer.add_observation(path, "B", "stonewaling", by="dr")
    assert str(caught.value) == (f"{path}:13:1: refused, the new observation would not be valid: "
                                 "unknown behavior 'stonewaling'; did you mean 'stonewalling'?")


def test_an_invalid_file_is_refused_with_its_own_error_and_left_alone(tmp_path):
    """An already-invalid case is not written to; the error points at the existing problem."""
    path = tmp_path / "tiny.yaml"
    original = MINIMAL.replace("    name: Ana", "    nmae: Ana").encode()
    path.write_bytes(original)
    with pytest.raises(CaseError) as caught:
        writer.add_note(path, "hello", by="dr")
    assert (caught.value.line, caught.value.column, caught.value.message) == (6, 5, "unknown key 'nmae' in a partner")
    assert path.read_bytes() == original


def test_a_note_on_the_minimal_case_reads_exactly_like_this(tmp_path):
    """The first note turns 'annotations: []' into a block list in the file's own indentation."""
    path = tmp_path / "tiny.yaml"
    path.write_text(MINIMAL)
    writer.add_note(path, "first: session went well", by="Dr Lee", date=DAY)
    assert path.read_text() == MINIMAL.replace("annotations: []\n", (
        "annotations:\n"
        "  - kind: note\n"
        "    date: 2026-11-01\n"
        "    by: Dr Lee\n"
        "    text: 'first: session went well'\n"))


def test_a_whole_session_from_intake_reads_back(tmp_path):
    """add_session writes observations, episodes and measures, and records a 'session' annotation."""
    path = tmp_path / "tiny.yaml"
    path.write_text(MINIMAL)
    ecr = [4, 5] * 18
    writer.add_session(path, dt.date(2026, 10, 8),
                       observations=[{"partner": "A", "behavior": "bid", "frequency": "often", "source": "self",
                                      "note": "asks to walk"}, {"partner": "B", "behavior": "withdrawal"}],
                       episodes=[{"label": "Dinner", "steps": [{"partner": "A", "behavior": "bid"},
                                                               {"partner": "B", "behavior": "dismissed_bid"}]}],
                       measures={"ecr_r": {"A": ecr}}, by="intake")
    case = load_case(path)
    assert plain(case.sessions[-1]) == plain(Session(
        dt.date(2026, 10, 8),
        (Observation("A", "bid", "often", "self", "asks to walk"), Observation("B", "withdrawal")),
        (Episode("Dinner", (Step("A", "bid"), Step("B", "dismissed_bid"))),),
        {"ecr_r": {"A": tuple(ecr)}}))
    assert plain(case.annotations) == [plain(Annotation("session", dt.date(2026, 10, 8), "intake",
                                                        session=dt.date(2026, 10, 8)))]


def test_an_observation_for_a_missing_session_lists_the_dates(tmp_path):
    """--date naming no session is an error whose hint lists the session dates."""
    path = tmp_path / "tiny.yaml"
    path.write_text(MINIMAL)
    with pytest.raises(InputError) as caught:
        writer.add_observation(path, "A", "bid", session_date=dt.date(2026, 10, 2), by="dr")
    assert caught.value.hint == ("the sessions are on 2026-10-01; name one of them, or open a new one with "
                                 f"'dynamics annotate {path} session --date 2026-10-02'")


def test_permissions_line_endings_and_symlinks_are_kept(tmp_path):
    """The replaced file keeps its mode, CRLF line endings and byte-order mark; a symlink stays a symlink."""
    real = tmp_path / "real.yaml"
    original = BOM + MINIMAL.replace("\n", "\r\n").encode()
    real.write_bytes(original)
    real.chmod(0o640)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    writer.add_note(link, "kept", by="dr", date=DAY)
    data = real.read_bytes()
    assert (link.is_symlink(), oct(real.stat().st_mode & 0o777), data.startswith(original[:-len("annotations: []\r\n")]),
            data.count(b"\n"), data.count(b"\r\n")) == (True, "0o640", True, 17, 17)
    assert sorted(os.listdir(tmp_path)) == ["link.yaml", "real.yaml"]


def test_a_read_only_case_is_refused(tmp_path):
    """A case file without write permission is left alone with a clear error."""
    path = tmp_path / "tiny.yaml"
    path.write_text(MINIMAL)
    path.chmod(0o444)
    with pytest.raises(CaseError) as caught:
        writer.add_note(path, "x", by="dr")
    assert (str(caught.value), path.read_text()) == (
        f"{path}: is read-only; make the file writable to annotate it", MINIMAL)


# --- concurrency and crashes ---------------------------------------------------------------------

def _write_notes(path: str, who: int, barrier) -> None:
    barrier.wait()
    for n in range(3):
        writer.add_note(path, f"writer {who} note {n}", by=f"w{who}", date=DAY)


def test_twelve_parallel_writers_all_land(tmp_path):
    """Twelve processes writing at once all land, in turn, and the file stays valid."""
    path = tmp_path / "tiny.yaml"
    path.write_text(MINIMAL)
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(12)
    procs = [ctx.Process(target=_write_notes, args=(str(path), i, barrier)) for i in range(12)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    case = load_case(path)
    assert [p.exitcode for p in procs] == [0] * 12
    assert sorted(a.text for a in case.annotations) == sorted(f"writer {i} note {n}" for i in range(12) for n in range(3))
    assert path.read_text().startswith(MINIMAL.replace("annotations: []\n", "annotations:\n"))
    assert sorted(os.listdir(tmp_path)) == ["tiny.yaml"]


_LOOP = """
import datetime as dt, sys
from dynamics.record import writer
print("ready", flush=True)
n = 0
while True:
    writer.add_note(sys.argv[1], f"loop note {n}", by="looper", date=dt.date(2026, 11, 1))
    n += 1
"""


def test_a_writer_killed_at_random_instants_never_leaves_a_broken_file(tmp_path):
    """SIGKILL at random moments leaves the old or the new file, valid, and nothing stray once the next write runs."""
    path = tmp_path / "tiny.yaml"
    path.write_text(MINIMAL)
    chance = random.Random(20261121)
    counts, leftovers = [0], []
    start = time.monotonic()
    for _ in range(20):
        proc = subprocess.Popen([sys.executable, "-c", _LOOP, str(path)], stdout=subprocess.PIPE, cwd=ROOT)
        assert proc.stdout.readline() == b"ready\n"
        time.sleep(chance.uniform(0.0, 0.06))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        case = load_case(path)
        notes = [a.text for a in case.annotations]
        assert all(re.fullmatch(r"loop note \d+", n) for n in notes)
        assert len(notes) >= counts[-1] and path.read_text().startswith(MINIMAL[:-len("annotations: []\n")])
        counts.append(len(notes))
        leftovers.append(sorted(set(os.listdir(tmp_path)) - {"tiny.yaml"}))
        if time.monotonic() - start > 25:
            break
    stray = {name for names in leftovers for name in names}
    assert all(name == ".tiny.yaml.lock" or (name.startswith(".tiny.yaml.") and name.endswith(".tmp"))
               for name in stray)
    writer.add_note(path, "after the storm", by="dr", date=DAY)
    assert sorted(os.listdir(tmp_path)) == ["tiny.yaml"]
    assert counts[-1] > 0
