"""Batch at research scale: Parquet out, --resume by content, workers that die, and Dask clusters.

The Dask tests start small clusters on this machine (threads where they can, two worker processes
where a worker has to be killed) and compare every row with a run on one process.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from concurrent.futures import Future
from pathlib import Path

import pytest
from click.testing import CliRunner

from dynamics.cli import cli
from dynamics.output import batch as batching
from dynamics.output import batchjob
from dynamics.output.casefiles import CASE, Entry

CASES = Path(__file__).resolve().parent.parent / "cases"


def batch(args: list[str]):
    """Run `dynamics batch` and return the click result."""
    return CliRunner().invoke(cli, ["batch", *args])


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Every example case twice over (in two subfolders) and one broken file."""
    root = tmp_path / "cases"
    for part in ("one", "two"):
        shutil.copytree(CASES, root / part, ignore=shutil.ignore_patterns("*.json"))
    (root / "one" / "broken.yaml").write_text("version: 1\ncase_id: Broken Case\n", encoding="utf-8")
    return root


def jsonl(path: Path) -> list[dict]:
    """Return the rows of a JSON Lines output."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_parquet_reads_back_as_a_typed_table_with_one_row_per_file(folder, tmp_path):
    """-o rows.parquet holds the JSON rows, typed (dates, booleans, lists), error rows included."""
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq
    assert batch([str(folder), "-o", str(tmp_path / "rows.parquet"), "-q"]).exit_code == 1
    assert batch([str(folder), "-o", str(tmp_path / "rows.jsonl"), "-q"]).exit_code == 1
    table = pq.read_table(tmp_path / "rows.parquet")
    rows = table.to_pylist()
    expected = jsonl(tmp_path / "rows.jsonl")
    for row in rows:
        row["as_of"] = row["as_of"].isoformat() if row["as_of"] else None
        row["assessment"] = json.loads(row["assessment"]) if row["assessment"] else None
    types = {name: table.schema.field(name).type for name in ("as_of", "safety_flag", "risks", "path")}
    assert types == {"as_of": pa.date32(), "safety_flag": pa.bool_(), "risks": pa.list_(pa.string()),
                     "path": pa.string()}
    assert rows == expected and sum(1 for r in rows if r["error"]) == 1


@pytest.mark.parametrize("kind", ["jsonl", "json", "csv", "parquet"])
def test_resume_keeps_unchanged_rows_and_assesses_the_rest(folder, tmp_path, kind):
    """--resume keeps a row whose file is unchanged, and assesses changed, new and failed files again."""
    from dynamics.output.rowfiles import RowWriter, read_rows
    out = tmp_path / f"rows.{kind}"
    assert batch([str(folder), "-o", str(out), "-q"]).exit_code == 1
    kept, changed = str(folder / "one" / "abara-silva.yaml"), folder / "two" / "abara-silva.yaml"
    earlier = list(read_rows(out, kind))
    writer = RowWriter(out, kind)  # mark two rows, to see which ones --resume keeps
    for row in earlier:
        writer.write({**row, "case_id": "from-before"} if row["path"] in (kept, str(changed)) else row)
    writer.close()
    changed.write_text(changed.read_text(encoding="utf-8") + "# a note\n", encoding="utf-8")
    (folder / "one" / "broken.yaml").unlink()
    shutil.copy(CASES / "quinn-bose.yaml", folder / "one" / "zz-new.yaml")
    assert batch([str(folder), "-o", str(out), "-q", "--resume"]).exit_code == 0
    rows = {row["path"]: row for row in read_rows(out, kind)}
    assert (rows[kept]["case_id"], rows[str(changed)]["case_id"]) == ("from-before", "abara-silva")
    assert (str(folder / "one" / "broken.yaml") in rows, rows[str(folder / "one" / "zz-new.yaml")]["error"]) == (
        False, None)


def test_resume_assesses_again_when_the_settings_differ(folder, tmp_path):
    """A row assessed with another --as-of (or other rules) is not kept by --resume."""
    out = tmp_path / "rows.jsonl"
    batch([str(folder / "one"), "-o", str(out), "-q", "--as-of", "2026-12-31"])
    before = {r["path"]: r["assessed_with"] for r in jsonl(out)}
    batch([str(folder / "one"), "-o", str(out), "-q", "--resume"])
    after = {r["path"]: r["assessed_with"] for r in jsonl(out)}
    assert set(before.values()) == {batching.basis("2026-12-31")}
    assert set(after.values()) == {batching.basis(None)}


#: set by the test below before the pool starts (its workers are forked, so they see it)
DIE_ONCE: dict[str, str] = {}
ASSESS_CHUNK = batching.assess_chunk


def dying_chunk(items, as_of, assessed_with):
    """A worker's task that kills its own process, once, when it is given the poisoned case.

    The worker dies while assessing, as an out-of-memory kill would end it; killing it from outside
    could land while it writes a result, which leaves Python's process pool waiting for the rest of
    a message that never comes (a limit of concurrent.futures, not of dynamics).
    """
    marker = Path(DIE_ONCE["marker"])
    if any(path == DIE_ONCE["path"] for path, _ in items) and not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return ASSESS_CHUNK(items, as_of, assessed_with)


def test_a_killed_pool_worker_loses_no_case(folder, tmp_path, monkeypatch):
    """A worker process killed mid-run has its cases run again; every row equals a one-process run."""
    import multiprocessing
    if multiprocessing.get_start_method() != "fork":
        pytest.skip("the poisoned task reaches the workers by fork")
    files = batching.collect([folder]).files
    expected = batching.run(files, 1)
    DIE_ONCE.update(path=files[len(files) // 2], marker=str(tmp_path / "died"))
    monkeypatch.setattr(batching, "assess_chunk", dying_chunk)
    assert batching.run(files, 2) == expected
    assert (tmp_path / "died").exists()


class Dying(batching.Inline):
    """Runs tasks here, but a task holding the poisoned path fails as if its worker died every time."""
    worker_died = (ConnectionResetError,)

    def __init__(self, poisoned: str):
        self.poisoned, self.recovered = poisoned, 0

    def submit(self, items, as_of, assessed_with):
        if any(path == self.poisoned for path, _ in items):
            future: Future = Future()
            future.set_exception(ConnectionResetError("worker died"))
            return future
        return super().submit(items, as_of, assessed_with)

    def recover(self):
        self.recovered += 1


def test_a_case_that_kills_its_worker_every_time_becomes_an_error_row(folder):
    """The case whose task keeps dying is one error row; the cases sent with it are assessed on their own."""
    files = batching.collect([folder]).files
    poisoned = files[3]
    rows = list(batching.stream([Entry(f, CASE) for f in files], Dying(poisoned)))
    plain = batching.run(files, 1)
    assert [r["path"] for r in rows] == files
    assert [r for r in rows if r["path"] != poisoned] == [r for r in plain if r["path"] != poisoned]
    assert rows[3]["error"] == (f"{poisoned}: the worker assessing this case stopped twice (ConnectionResetError), "
                                "so it was not assessed; run 'dynamics assess' on it alone to see why")


@pytest.fixture(scope="module")
def threaded_cluster():
    """A Dask LocalCluster of two single-threaded workers in this process."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                       dashboard_address=":0")
    yield cluster
    cluster.close()


def test_a_dask_scheduler_gives_the_rows_of_the_local_pool(folder, tmp_path, threaded_cluster):
    """--scheduler ADDRESS writes, byte for byte, what the local pool writes (error rows included)."""
    local, dask = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    assert batch([str(folder), "-o", str(local), "-q", "--jobs", "2"]).exit_code == 1
    result = batch([str(folder), "-o", str(dask), "-q", "--scheduler", threaded_cluster.scheduler_address])
    assert (result.exit_code, dask.read_bytes() == local.read_bytes()) == (1, True)


def test_an_unreachable_scheduler_is_one_line(folder, tmp_path):
    """A scheduler address nothing answers at is exit 2 and one line saying what to check."""
    pytest.importorskip("distributed")
    result = batch([str(folder), "-o", str(tmp_path / "rows.csv"), "-q", "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 2 and result.stderr.startswith("--scheduler tcp://127.0.0.1:9: cannot reach")
    assert not (tmp_path / "rows.csv").exists()


@pytest.mark.slow
def test_local_cluster_with_a_killed_worker_loses_no_case(folder, tmp_path):
    """On a LocalCluster of worker processes, one killed mid-run: its tasks run again and every row is there."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address="127.0.0.1:0") as cluster, distributed.Client(cluster) as client:
        pids = list(client.run(os.getpid).values())
        killed = []

        def kill_one(row):
            if not killed:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
        out = tmp_path / "dask.jsonl"
        found = batchjob.survey([folder], out, "jsonl")
        batchjob.write(found, out, "jsonl", scheduler=cluster.scheduler_address, on_row=kill_one)
    batch([str(folder), "-o", str(tmp_path / "local.jsonl"), "-q", "--jobs", "1"])
    assert killed and out.read_bytes() == (tmp_path / "local.jsonl").read_bytes()


@pytest.mark.slow
def test_scheduler_local_starts_a_cluster_of_processes(folder, tmp_path):
    """--scheduler local runs on a LocalCluster of --jobs worker processes and gives the local rows."""
    pytest.importorskip("distributed")
    local, dask = tmp_path / "local.csv", tmp_path / "dask.csv"
    batch([str(folder / "one"), "-o", str(local), "-q", "--jobs", "1"])
    result = batch([str(folder / "one"), "-o", str(dask), "-q", "--scheduler", "local", "--jobs", "2"])
    assert (result.exit_code, dask.read_bytes() == local.read_bytes()) == (1, True)
