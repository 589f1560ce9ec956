"""Issue 12, files: what dynamics reads and writes stays safe however the paths around it are shaped.

Inputs that are not regular files are refused up front; outputs never follow or replace a link, a
device, an input or a file the command did not write; side files go all or none; the lock never
follows a link; anything derived from a case is private; a failing stream is one clean line.
"""

from __future__ import annotations

import codecs
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from dynamics.case.model import load_case
from dynamics.cli import cli
from dynamics.errors import InputError
from dynamics.intake.drafts import draft_path, load_draft
from dynamics.record import writer
from dynamics.safewrite import check_output, lock_blocker

CASES = Path(__file__).resolve().parent.parent / "cases"
EXAMPLE = CASES / "rivera-okafor.yaml"
ANSWERS = "respondent: A\npartners: [{id: A, name: Maya}, {id: B, name: Tom}]\nanswers:\n  A: {pursuit: often}\n"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch folder, the current one, holding good.yaml (a copy of an example case)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DYNAMICS_CLINICIAN", "Dr Lee")
    shutil.copy(EXAMPLE, tmp_path / "good.yaml")
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    """Invoke dynamics in this process and return (exit code, stdout, stderr)."""
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def snapshot(folder: Path) -> dict[str, tuple[int, bytes | str]]:
    """Return every entry of a folder with its kind and contents (a link's target), to compare whole."""
    found = {}
    for entry in sorted(folder.iterdir()):
        info = entry.lstat()
        body = os.readlink(entry) if entry.is_symlink() else entry.read_bytes() if entry.is_file() else b""
        found[entry.name] = (stat.S_IFMT(info.st_mode), body)
    return found


# --- inputs that are not regular files (defect 2) --------------------------------------------------

@pytest.fixture
def pipe(here: Path):
    """A named pipe, pipe.yaml; should a reader ever block on it, it is given end of file, so a
    regression fails its test instead of hanging the run."""
    path = here / "pipe.yaml"
    os.mkfifo(path)
    stop = threading.Event()

    def rescue() -> None:
        while not stop.is_set():
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                time.sleep(0.02)

    rescuer = threading.Thread(target=rescue, daemon=True)
    rescuer.start()
    yield path
    stop.set()
    rescuer.join()


def refused_pipe(what: str) -> str:
    """Return the one line every reader prints for the named pipe."""
    return (f"pipe.yaml: is a named pipe (FIFO), not a regular file; dynamics reads only regular files: "
            f"save the {what} as a file and name that\n")


@pytest.mark.parametrize("args, what", [
    (["validate", "pipe.yaml", "good.yaml"], "case file"),
    (["assess", "pipe.yaml"], "case file"),
    (["explain", "pipe.yaml"], "case file"),
    (["history", "pipe.yaml"], "case file"),
    (["report", "pipe.yaml", "-o", "out.html"], "case file"),
    (["render", "pipe.yaml", "-o", "out.svg"], "case file"),
    (["annotate", "pipe.yaml", "note", "x"], "case file"),
    (["intake", "-o", "pipe.yaml", "--answers", "answers.yaml"], "case file"),
    (["intake", "-o", "new.yaml", "--answers", "pipe.yaml"], "answers file"),
    (["annotate", "good.yaml", "session", "--from", "pipe.yaml"], "session file"),
    (["annotate", "good.yaml", "note", "--from", "pipe.yaml"], "note file"),
])
def test_a_named_pipe_is_refused_before_it_is_read(pipe: Path, here: Path, args, what) -> None:
    """Every command that reads a file refuses a FIFO in one located line, exit 2, and writes nothing."""
    (here / "answers.yaml").write_text(ANSWERS, encoding="utf-8")
    before = snapshot(here)
    assert run(*args) == (2, "", refused_pipe(what))
    assert snapshot(here) == before


def test_devices_and_folders_are_refused_as_inputs(here: Path) -> None:
    """A device is refused as a case without being opened for reading; a folder says so."""
    (here / "folder.yaml").mkdir()
    assert run("validate", "/dev/zero", "folder.yaml", "good.yaml") == (2, "", (
        "/dev/zero: is a device, not a regular file; dynamics reads only regular files: save the case file as "
        "a file and name that\nfolder.yaml: is a folder, not a case file; name a .yaml file\n"))


def as_someone_else(work) -> str:
    """Return what work() returns, run as the unprivileged user 'nobody' when the tests run as root.

    The child process keeps every module already loaded, but may no longer read root's files, so what
    work needs is loaded first.
    """
    if os.geteuid() != 0:
        return work()
    codecs.lookup("utf-8-sig")
    load_case(EXAMPLE)
    reader, writer_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(reader)
        try:
            os.setgid(65534)
            os.setuid(65534)
            said = work()
        except BaseException as exc:  # noqa: BLE001 - any outcome is reported to the parent
            said = f"{type(exc).__name__}: {exc}"
        os.write(writer_end, said.encode())
        os._exit(0)
    os.close(writer_end)
    os.waitpid(child, 0)
    with os.fdopen(reader, encoding="utf-8") as told:
        return told.read()


def test_an_unreadable_file_is_one_line_and_validate_goes_on() -> None:
    """An unreadable case is the loader's one line, not click's, and the files after it are still checked."""
    with tempfile.TemporaryDirectory(prefix="dynamics-unreadable-") as shared:
        folder = Path(shared)
        folder.chmod(0o755)
        (folder / "locked.yaml").write_text("x", encoding="utf-8")
        (folder / "locked.yaml").chmod(0)
        (folder / "bad.yaml").write_text("version: 2\n", encoding="utf-8")
        said = as_someone_else(lambda: repr(run("validate", str(folder / "locked.yaml"), str(folder / "bad.yaml"))))
        assert said == repr((2, "", (
            f"{folder / 'locked.yaml'}: cannot be read (permission denied); check the file's permissions\n"
            f"{folder / 'bad.yaml'}:1:1: the case is missing the required key 'case_id'; add 'case_id:' to it\n")))


# --- outputs: links, devices, inputs, case files (defects 5 and 7) --------------------------------

def test_an_output_that_is_a_symlink_is_refused_and_kept(here: Path) -> None:
    """-o naming a symlink leaves the link and its target alone, with one line."""
    (here / "target.txt").write_text("mine\n", encoding="utf-8")
    (here / "cycle.svg").symlink_to("target.txt")
    before = snapshot(here)
    assert run("render", "good.yaml", "-o", "cycle.svg") == (2, "", (
        "cycle.svg: is a symbolic link, and dynamics never replaces a link with an output; name the file "
        "itself or a new file\n"))
    assert snapshot(here) == before


def test_an_output_that_is_not_a_regular_file_is_refused(here: Path) -> None:
    """-o naming a named pipe (as a device would be) is refused; the pipe stays a pipe."""
    os.mkfifo(here / "out.html")
    assert run("report", "good.yaml", "-o", "out.html") == (2, "", (
        "out.html: is a named pipe (FIFO), not a regular file, so no output is written there; name a new file "
        "for the output\n"))
    assert stat.S_ISFIFO((here / "out.html").lstat().st_mode)


def test_a_device_is_never_an_output() -> None:
    """/dev/null and /dev/full are refused as outputs by the check every output goes through."""
    for device in ("/dev/null", "/dev/full"):
        with pytest.raises(InputError) as caught:
            check_output(Path(device))
        assert str(caught.value) == (f"{device}: is a device, not a regular file, so no output is written there; "
                                     "name a new file for the output")


@pytest.mark.parametrize("args", [
    ["render", "good.yaml", "-o", "good.yaml", "--format", "dot"],
    ["report", "good.yaml", "-o", "same.html"],
    ["schema", "-o", "good.yaml"],
    ["rules", "doc", "-o", "good.yaml"],
])
def test_an_output_never_replaces_the_case(here: Path, args) -> None:
    """The input case, or any case file, named as the output is refused and left as it was."""
    os.link(here / "good.yaml", here / "same.html")   # the same file under an output's name
    before = snapshot(here)
    code, out, err = run(*args)
    named = args[args.index("-o") + 1]
    reason = ("is the case this output is made from, and an output never replaces its input" if args[0] in (
        "render", "report") else "is an existing YAML file, and outputs never replace one (case files are YAML)")
    assert (code, out, err) == (2, "", f"{named}: {reason}; choose another name for the output\n")
    assert snapshot(here) == before


# --- side files (defect 6) ----------------------------------------------------------------------------

def test_report_never_clobbers_a_picture_it_did_not_write(here: Path) -> None:
    """report -o X.md with someone's X.svg beside it stops before writing anything, X.svg untouched."""
    (here / "x.svg").write_text("<svg>the couple's own picture</svg>\n", encoding="utf-8")
    before = snapshot(here)
    assert run("report", "good.yaml", "-o", "x.md") == (2, "", (
        "x.svg: already exists and was not written for x.md, so it is not replaced; move it away, or choose "
        "another name than x.md for the output\n"))
    assert snapshot(here) == before


def test_report_rewrites_its_own_side_files(here: Path) -> None:
    """Writing the same Markdown report twice replaces the side files the first run wrote."""
    assert run("report", "good.yaml", "-o", "x.md")[0] == 0
    first = snapshot(here)
    assert run("report", "good.yaml", "-o", "x.md")[0] == 0
    mark = "<!-- written by 'dynamics report' for x.md; replaced when that is written again -->"
    assert (snapshot(here) == first, sorted(first), [(here / n).read_text().splitlines()[1] for n in
                                                     ("x.svg", "x-trends.svg")]) == (
        True, ["good.yaml", "x-trends.svg", "x.md", "x.svg"], [mark, mark])


def test_a_side_file_that_cannot_be_written_leaves_nothing_behind(here: Path) -> None:
    """When one side file's place is taken, neither the report nor the other side file is written."""
    (here / "x-trends.svg").mkdir()
    before = snapshot(here)
    code, _, err = run("report", "good.yaml", "-o", "x.md")
    assert (code, err) == (2, "x-trends.svg: is a folder, not a regular file, so no output is written there; "
                              "name a new file for the output\n")
    assert snapshot(here) == before


def test_render_without_graphviz_never_clobbers_a_dot_file(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without Graphviz, render -o cycle.svg keeps someone's cycle.dot, and replaces only its own."""
    monkeypatch.setenv("PATH", str(here))
    (here / "cycle.dot").write_text("digraph mine {}\n", encoding="utf-8")
    code, _, err = run("render", "good.yaml", "-o", "cycle.svg")
    assert (code, err, (here / "cycle.dot").read_text()) == (2, (
        "cycle.dot: already exists and was not written for cycle.svg, so it is not replaced; move it away, or "
        "choose another name than cycle.svg for the output\n"), "digraph mine {}\n")
    (here / "cycle.dot").unlink()
    assert [run("render", "good.yaml", "-o", "cycle.svg")[0] for _ in range(2)] == [0, 0]


# --- permissions (defect 15) -----------------------------------------------------------------------

def test_outputs_from_a_case_are_private_and_stay_so(here: Path) -> None:
    """Reports, pictures and their side files are created 0600; a rewrite keeps a file's mode."""
    mask = os.umask(0o022)
    try:
        for args in (["report", "good.yaml", "-o", "r.md"], ["report", "good.yaml", "-o", "r.html"],
                     ["render", "good.yaml", "-o", "c.dot"], ["schema", "-o", "s.json"]):
            run(*args)
    finally:
        os.umask(mask)
    modes = {n: oct(stat.S_IMODE((here / n).stat().st_mode)) for n in ("r.md", "r.svg", "r-trends.svg", "r.html",
                                                                        "c.dot", "s.json")}
    (here / "s.json").chmod(0o600)
    (here / "r.html").chmod(0o640)
    run("schema", "-o", "s.json")
    run("report", "good.yaml", "-o", "r.html")
    assert (modes, oct(stat.S_IMODE((here / "s.json").stat().st_mode)),
            oct(stat.S_IMODE((here / "r.html").stat().st_mode))) == (
        {"r.md": "0o600", "r.svg": "0o600", "r-trends.svg": "0o600", "r.html": "0o600", "c.dot": "0o600",
         "s.json": "0o644"}, "0o600", "0o640")


# --- streams and full disks (defects 5 and 20) -----------------------------------------------------

def _dynamics(args: list[str], cwd: Path, **extra) -> subprocess.CompletedProcess:
    """Run dynamics as its own process, as a person would."""
    return subprocess.run([sys.executable, "-m", "dynamics", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60, **extra)


@pytest.mark.slow
def test_standard_output_on_a_full_disk_is_one_clean_line(here: Path) -> None:
    """stdout on /dev/full gives exit 2 and one line naming standard output, not an internal error."""
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "dynamics", "schema"], cwd=here, stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (2, "standard output: cannot be written (No space left on device); "
                                                 "free some space, or send the output somewhere that can take it\n")


@pytest.mark.slow
def test_a_write_that_fails_is_an_error_and_leaves_nothing(here: Path) -> None:
    """When the disk refuses the bytes (here a file-size limit), the report fails in one line, nothing left."""
    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    done = _dynamics(["report", "good.yaml", "-o", "r.md"], here, preexec_fn=small_files)
    assert (done.returncode, done.stderr, sorted(os.listdir(here))) == (
        2, "r.md: cannot write the report (File too large); check that the folder exists, that you may write "
           "there and that the disk has room\n", ["good.yaml"])


# --- the lock (defects 8 and 9) ----------------------------------------------------------------------

def test_a_planted_lock_symlink_is_never_followed(here: Path) -> None:
    """A .CASE.lock symlink makes annotate stop in one line; nothing is created where it points."""
    (here / ".good.yaml.lock").symlink_to(here / "elsewhere")
    before = snapshot(here)
    code, _, err = run("annotate", "good.yaml", "note", "x")
    assert (code, err, snapshot(here) == before) == (2, (
        f"good.yaml: the lock file .good.yaml.lock beside the case is a symbolic link, which dynamics never "
        f"follows; remove {here / '.good.yaml.lock'} (no dynamics command is using it), then try again\n"), True)


def test_who_may_remove_a_lock_in_a_sticky_folder() -> None:
    """In a sticky folder only the lock's owner, the folder's owner and root can remove it."""
    def stats(mode: int, uid: int) -> os.stat_result:
        return os.stat_result((mode, 0, 0, 1, uid, 0, 0, 0, 0, 0))
    sticky, plain = stats(stat.S_IFDIR | 0o1777, 0), stats(stat.S_IFDIR | 0o777, 0)
    lock = stats(stat.S_IFREG | 0o644, 1000)
    assert [lock_blocker(lock, folder, uid) for folder, uid in
            ((sticky, 2000), (sticky, 1000), (sticky, 0), (plain, 2000))] == [True, False, False, False]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as two users")
def test_a_stale_lock_of_another_user_is_reported_before_writing() -> None:
    """Another user's stale lock in a sticky folder: refused before the entry is written, so a retry
    cannot duplicate it."""
    with tempfile.TemporaryDirectory(prefix="dynamics-shared-") as shared:
        _stale_foreign_lock(Path(shared))


def _stale_foreign_lock(folder: Path) -> None:
    """In a sticky folder, let 'nobody' annotate its own case beside root's stale lock."""
    folder.chmod(0o1777)
    case = folder / "c.yaml"
    shutil.copy(EXAMPLE, case)
    os.chown(case, 65534, 65534)
    (folder / ".c.yaml.lock").write_text("")   # root's, stale
    original = case.read_bytes()

    def annotate() -> str:
        try:
            writer.add_note(case, "x", by="dr")
        except InputError as err:
            return str(err)
        return "written"
    said = as_someone_else(annotate)
    assert (said.split(";")[0], case.read_bytes() == original) == (
        f"{case}: a lock file left by another user (.c.yaml.lock) is in the way, and this shared folder lets "
        "only its owner remove it", True)


# --- drafts (defect 17) ------------------------------------------------------------------------------

def test_a_deeply_nested_draft_is_set_aside_not_a_crash(tmp_path: Path) -> None:
    """A draft nested thousands deep is read by the located reader: set aside (with a warning), no crash."""
    out = tmp_path / "c.yaml"
    draft_path(out).write_text("answers: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    assert load_draft(out) is None


def test_a_huge_draft_is_refused_at_once(tmp_path: Path) -> None:
    """A draft over the case-file size limit is refused by its size, without parsing it."""
    out = tmp_path / "c.yaml"
    draft_path(out).write_text("answers:\n" + "  k: v\n" * 1_500_000, encoding="utf-8")
    started = time.monotonic()
    assert (load_draft(out), time.monotonic() - started < 2) == (None, True)

