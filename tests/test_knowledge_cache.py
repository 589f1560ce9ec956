"""The knowledge-base cache is private, keyed by content, and can only make a command faster.

Each test points DYNAMICS_CACHE at a scratch folder and clears the process's own caches around it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from dynamics.knowledge import cache
from dynamics.knowledge.language import load_knowledge, read_knowledge
from dynamics.knowledge.vocabulary import vocabulary

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "cases" / "rivera-okafor.yaml"


def forget() -> None:
    """Clear the in-process caches of the knowledge base (not the folder under test)."""
    for function in (cache.load, load_knowledge, vocabulary):
        function.cache_clear()


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of the test's own, with the process's knowledge caches cleared before and after."""
    where = tmp_path / "cache"
    monkeypatch.setenv("DYNAMICS_CACHE", str(where))
    forget()
    yield where
    forget()


def entries(where: Path) -> list[Path]:
    """Return the cache entries in a folder."""
    return sorted(where.glob("knowledge-*.pickle"))


def test_first_load_writes_a_private_entry_the_next_one_reads(folder):
    """Reading rules/ stores the checked knowledge base 0600 in a 0700 folder; the next process gets it back."""
    first = load_knowledge()
    written = entries(folder)
    forget()
    again = cache.load()
    assert (len(written), oct(folder.stat().st_mode & 0o777), oct(written[0].stat().st_mode & 0o777)) == (
        1, "0o700", "0o600")
    assert (again.knowledge, again.vocabulary) == (first, vocabulary())


def test_a_damaged_entry_is_read_from_rules_instead_and_replaced(folder):
    """A truncated or foreign entry is ignored: the knowledge base is read again and the entry rewritten."""
    expected = load_knowledge()
    (entry,) = entries(folder)
    entry.write_bytes(entry.read_bytes()[:100])
    forget()
    assert cache.load() is None
    forget()
    assert load_knowledge() == expected
    forget()
    assert cache.load().knowledge == expected


@pytest.mark.parametrize("mode", [0o755, 0o770])
def test_a_folder_others_may_enter_is_not_used(folder, mode):
    """A cache folder open to the group or to everyone is neither read nor written."""
    folder.mkdir(mode=mode)
    folder.chmod(mode)
    load_knowledge()
    assert entries(folder) == []


def test_an_entry_that_is_a_link_is_not_followed(folder, tmp_path):
    """An entry replaced by a symbolic link to a file elsewhere is not read."""
    load_knowledge()
    (entry,) = entries(folder)
    elsewhere = tmp_path / "elsewhere.pickle"
    shutil.move(entry, elsewhere)
    entry.symlink_to(elsewhere)
    forget()
    assert cache.load() is None


def test_turned_off_it_writes_nothing(tmp_path, monkeypatch):
    """DYNAMICS_CACHE=off reads rules/ every time and writes no cache anywhere."""
    monkeypatch.setenv("DYNAMICS_CACHE", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    forget()
    try:
        load_knowledge()
        assert (cache.folder(), list(tmp_path.iterdir())) == (None, [])
    finally:
        forget()


def test_an_edited_rule_gets_an_entry_of_its_own(folder, tmp_path, monkeypatch):
    """The key covers the content of rules/: an edited copy never meets the original's entry."""
    original = cache.key()
    copy = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", copy)
    layer = copy / "logic" / "80-risk.yaml"
    layer.write_text(layer.read_text(encoding="utf-8") + "# one more line\n", encoding="utf-8")
    monkeypatch.setenv("DYNAMICS_RULES", str(copy))
    assert cache.key() != original


def test_concurrent_writers_leave_one_whole_entry(folder):
    """Writers storing at the same moment leave a whole, loadable entry and no temporary file."""
    knowledge, vocab = read_knowledge(), vocabulary()
    threads = [threading.Thread(target=cache.store, args=(knowledge, vocab)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    forget()
    assert (len(entries(folder)), [p.name for p in folder.iterdir() if p.name.startswith(".")]) == (1, [])
    assert cache.load().knowledge == knowledge


def test_a_cached_run_prints_what_an_uncached_run_prints(tmp_path):
    """`dynamics assess` with a cold cache, a warm cache and no cache prints the same bytes."""
    def assess(setting: str) -> bytes:
        env = {**os.environ, "DYNAMICS_CACHE": setting}
        return subprocess.run([sys.executable, "-m", "dynamics", "assess", str(CASE), "--format", "json"],
                              capture_output=True, env=env, check=True).stdout
    where = str(tmp_path / "cache")
    cold, warm, off = assess(where), assess(where), assess("off")
    assert cold == warm == off and json.loads(cold)["case_id"] == "rivera-okafor"
