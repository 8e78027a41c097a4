"""The captioning step end to end on a tiny random-weight BLIP loaded like the real model."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from unfragile_ssg.captions import heatmap as hm
from unfragile_ssg.captions.command import run_captions_command
from unfragile_ssg.captions.step import caption_entries, prune_store
from unfragile_ssg.captions.testing import load_site
from unfragile_ssg.errors import SiteError

SRC = Path(__file__).resolve().parents[2] / "src"


def test_end_to_end(make_site, store_files):
    project, entries = make_site()
    report = caption_entries(project, entries)
    assert (report.hits, report.misses, report.computed) == (0, 3, 3)
    assert report.warnings == []
    views = report.samples["tiny-captioner"]
    assert [v.credit for v in views] == ["Photo wide.jpg", "Photo tall.png", "Photo cat.jpg"]
    for view in views:
        assert view.captioned and view.caption and view.alt == view.caption
        assert [w.map for w in view.words] == list(range(1, len(view.words) + 1))  # grid 0: the whole caption
        assert view.caption.replace(" ", "") == "".join(w.text for w in view.words).replace(" ", "")
        assert view.image and view.image.startswith("captions/images/")
        assert "local folder" in view.model and view.decoding.startswith("greedy decoding")
        assert "gradient-weighted" in view.method
        shown = Image.open(report.files[view.image])
        assert shown.size == (view.width, view.height)
        h = view.heatmaps
        folder = f"captions/{view.key[:2]}/{view.key}"  # sharded as in the store
        assert h.maps == f"{folder}/maps.bin" and h.sheet == f"{folder}/sheet.webp"
        assert h.grid == (4, 4) and h.count == len(view.words) + 1  # the tiny model: 64 px in 16 px patches
        maps = hm.decode_maps(report.files[h.maps].read_bytes(), h.grid)
        assert maps.shape == (h.count, 4, 4) and all(m.max() == 255 and m.min() == 0 for m in maps)
        sheet = Image.open(report.files[h.sheet])
        tile, columns, rows = hm.sheet_layout(h.count, shown.size)
        assert sheet.format == "WEBP" and sheet.size == (h.sheet_width, h.sheet_height) == (tile[0] * columns, tile[1] * rows)
        assert columns == h.columns and rows == h.rows
    wide, tall = views[0], views[1]
    assert wide.width == 160 and wide.height == 80 and tall.width == 80 and tall.height == 160
    assert set(report.files) == {v.image for v in views} | {f for v in views for f in (v.heatmaps.maps, v.heatmaps.sheet)}
    assert all(path.is_file() for path in report.files.values())
    assert "models.json" in store_files(project)


@pytest.mark.parametrize(
    "settings",
    [
        {"decoding": "greedy"},
        {"decoding": "beam", "num_beams": 3},
        {"decoding": "sample", "top_p": 0.8, "seed": 7},
        {"decoding": "greedy", "heatmap": "attention"},
        {"decoding": "beam", "num_beams": 2, "heatmap": "attention", "batch_size": 1},
        {"decoding": "greedy", "heatmap": "gradcam"},
        {"decoding": "beam", "num_beams": 2, "heatmap": "relevance"},
    ],
    ids=["greedy", "beam", "sample", "greedy-attention", "beam-attention-batch1", "greedy-gradcam", "beam-relevance"],
)
def test_every_decoding_mode(make_site, settings, photos):
    project, entries = make_site(images={"cat.jpg": photos["cat.jpg"], "wide.jpg": photos["wide.jpg"]}, min_new_tokens=3, **settings)
    report = caption_entries(project, entries)
    assert report.computed == 2 and not report.warnings
    for view in report.samples["tiny-captioner"]:
        assert view.caption and len(view.words) >= 1
        maps = hm.decode_maps(report.files[view.heatmaps.maps].read_bytes(), view.heatmaps.grid)
        assert len(maps) == len(view.words) + 1 == view.heatmaps.count
    summary = report.samples["tiny-captioner"][0].decoding
    assert {"greedy": "greedy decoding", "beam": "beam search with", "sample": "nucleus sampling (top-p 0.8, seed 7)"}[settings["decoding"]] in summary


def test_prompt_words_are_shown_without_heatmaps(make_site, photos):
    project, entries = make_site(images={"cat.jpg": photos["cat.jpg"]}, prompt="a picture of", min_new_tokens=2)
    view = caption_entries(project, entries).samples["tiny-captioner"][0]
    assert view.caption.startswith("a picture of ")
    assert [(w.text, w.prompt, w.map) for w in view.words[:3]] == [("a", True, None), ("picture", True, None), ("of", True, None)]
    assert [w.map for w in view.words[3:]] == list(range(1, len(view.words) - 2)) and len(view.words) > 3


def test_store_hits_and_misses(make_site, photos):
    project, entries = make_site()
    assert caption_entries(project, entries).computed == 3
    again = caption_entries(project, entries)
    assert (again.hits, again.misses, again.computed) == (3, 0, 0)
    # a setting that changes the result is a miss; one that does not (batch size) is a hit
    assert caption_entries(project, entries, overrides={"batch_size": 1}).hits == 3
    changed = caption_entries(project, entries, overrides={"decoding": "beam", "num_beams": 2})
    assert (changed.hits, changed.computed) == (0, 3)
    recoloured = caption_entries(project, entries, overrides={"colormap": "inferno"})
    assert (recoloured.hits, recoloured.computed) == (0, 3)
    assert caption_entries(project, entries).hits == 3  # the first results are still there
    # a changed image misses alone
    (project.content_dir / "media" / "cat.jpg").write_bytes(photos["cat.jpg"] + b"\0")
    _, entries = make_site_reload(project)
    partial = caption_entries(project, entries)
    assert (partial.hits, partial.computed) == (2, 1)


def make_site_reload(project):
    from unfragile_ssg.captions.testing import load_site

    return load_site(project.config_path)


def test_same_input_same_bytes(make_site, store_files):
    first, entries_a = make_site(folder="a")
    second, entries_b = make_site(folder="b", batch_size=1)  # batching must not change a byte
    caption_entries(first, entries_a)
    caption_entries(second, entries_b)
    a, b = store_files(first), store_files(second)
    assert a == b and len(a) > 10
    again = caption_entries(first, entries_a)
    assert again.hits == 3 and store_files(first) == a


def test_cached_rebuild_never_imports_torch(make_site):
    project, entries = make_site()
    caption_entries(project, entries)
    probe = (
        "import sys, json\n"
        f"sys.path.insert(0, {str(SRC)!r})\n"
        "from unfragile_ssg.captions.testing import load_site\n"
        "from unfragile_ssg.captions.step import caption_entries\n"
        f"project, entries = load_site({str(project.config_path)!r})\n"
        "report = caption_entries(project, entries)\n"
        "print(json.dumps({'hits': report.hits, 'computed': report.computed, 'files': len(report.files),"
        " 'heavy': sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers'))}))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["heavy"] == []
    assert result["hits"] == 3 and result["computed"] == 0 and result["files"] > 6


def flip_byte(path: Path, at: float = 0.5) -> None:
    data = bytearray(path.read_bytes())
    i = int(len(data) * at)
    data[i] ^= 0x20
    path.write_bytes(bytes(data))


DAMAGES = ["truncate-maps", "delete-sheet", "garbage-json", "truncate-json", "truncate-photo",
           "flip-maps", "flip-caption", "flip-photo", "delete-photo-record", "misshapen-json",
           "maps-of-another-shape", "word-map-out-of-range", "grid-too-large", "format-1"]


@pytest.mark.parametrize("damage", DAMAGES)
def test_damaged_store_entry_is_recomputed(make_site, store_files, damage):
    project, entries = make_site()
    caption_entries(project, entries)
    before = store_files(project)
    root = project.caption_store
    key = next(p.parent for p in root.glob("??/*/result.json"))
    if damage == "truncate-maps":
        path = key / "maps.bin"
        path.write_bytes(path.read_bytes()[:40])
    elif damage == "delete-sheet":
        (key / "sheet.webp").unlink()
    elif damage == "garbage-json":
        (key / "result.json").write_bytes(b"\x00\xffnot json")
    elif damage == "truncate-json":
        path = key / "result.json"
        path.write_bytes(path.read_bytes()[:50])
    elif damage == "flip-maps":
        flip_byte(key / "maps.bin")  # still grids of the right shape: never shown as they are
    elif damage == "flip-caption":
        path = key / "result.json"
        text = path.read_text("utf-8")
        caption = json.loads(text)["caption"]
        path.write_text(text.replace(f'"caption": {json.dumps(caption)}', f'"caption": {json.dumps("X" + caption[1:])}'), "utf-8")
    elif damage == "misshapen-json":  # right checksums, a file it does not list, outside its folder
        rewrite(key, lambda r: r["sheet"].update(file="../../" + next((root / "images").glob("*/*.webp")).relative_to(root).as_posix()))
    elif damage == "maps-of-another-shape":  # the file, its hash and the record agree; the grid does not
        rewrite(key, lambda r: r["heatmap"].update(grid=[3, 4]))
    elif damage == "word-map-out-of-range":
        rewrite(key, lambda r: r["words"][0].update(map=r["maps"]["count"]))
    elif damage == "grid-too-large":
        rewrite(key, lambda r: r["heatmap"].update(grid=[65, 65]))
    elif damage == "format-1":  # what the store held before heatmaps were data: recomputed
        rewrite(key, lambda r: r.update(format=1))
    elif damage == "delete-photo-record":
        next((root / "images").glob("*/*.json")).unlink()
    else:
        flip_byte(next((root / "images").glob("*/*.webp")), 0.6) if damage == "flip-photo" else None
        if damage == "truncate-photo":
            photo = next((root / "images").glob("*/*.webp"))
            photo.write_bytes(photo.read_bytes()[:60])
    report = caption_entries(project, entries)
    assert not report.warnings
    assert report.computed == (0 if "photo" in damage else 1)
    assert store_files(project) == before  # repaired to the same bytes


def rewrite(key: Path, change) -> None:
    """Change a stored record and restore its checksum and its files' hashes, as a pull request
    that knows the format could."""
    from unfragile_ssg.captions.store import canonical_json, record_checksum, sha256

    path = key / "result.json"
    record = json.loads(path.read_text("utf-8"))
    change(record)
    record["files"] = {name: sha256((key / name).read_bytes()) for name in record["files"] if (key / name).is_file()}
    record["checksum"] = record_checksum(record)
    path.write_text(canonical_json(record), "utf-8")


def test_a_damaged_heatmap_without_the_model_is_not_shown(make_site, store_files, monkeypatch):
    from unfragile_ssg.captions import model

    project, entries = make_site()
    first = caption_entries(project, entries)
    root = project.caption_store
    key = next(p.parent for p in root.glob("??/*/result.json"))
    flip_byte(key / "maps.bin")

    def unavailable(*args, **kwargs):
        raise model.ModelUnavailable("the model is gone")

    monkeypatch.setattr(model, "load_captioner", unavailable)
    report = caption_entries(project, entries)
    [warning] = report.warnings
    assert warning.severity == "warning" and "the model is gone" in warning.message
    damaged = [v for v in report.samples["tiny-captioner"] if v.key == key.name]
    assert damaged and all(not v.captioned and v.heatmaps is None and v.words == () for v in damaged)
    assert not any(f"/{key.name}/" in path for path in report.files)  # none of its files is published
    assert len(report.files) < len(first.files)


def test_temporary_files_of_killed_writes_are_removed(make_site, store_files):
    project, entries = make_site()
    caption_entries(project, entries)
    before = store_files(project)
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True).stdout)
    root = project.caption_store
    (root / f".tmp-{dead}-abc").mkdir()
    (root / f".tmp-{dead}-abc" / "maps.bin").write_bytes(b"half")
    (root / "images" / f".tmp-{dead}-def").write_bytes(b"half")
    (root / "notes.txt").write_text("someone else's\n", "utf-8")
    caption_entries(project, entries)
    assert store_files(project) == before | {"notes.txt": b"someone else's\n"}


def test_model_that_cannot_be_loaded(make_site, monkeypatch):
    project, entries = make_site(model="./no-such-model-folder/")
    report = caption_entries(project, entries)
    assert report.computed == 0 and report.misses == 3
    [warning] = report.warnings
    assert warning.severity == "warning" and warning.path == "content/models/tiny-captioner.md"
    assert warning.line == 10  # the first sample's image
    assert warning.message.startswith("3 sample image(s) have no caption in the store")
    assert "no-such-model-folder" in warning.message and "does not exist" in warning.message
    assert "fix captions.model in unfragile.yaml" in warning.message
    views = report.samples["tiny-captioner"]
    assert all(v.image and not v.captioned and v.words == () for v in views)  # shown without captions
    assert views[0].alt == "Sample image 1 (Photo wide.jpg)"
    with pytest.raises(SiteError, match="does not exist"):
        caption_entries(project, entries, strict=True)


def test_hub_model_offline_fails_fast_without_torch(make_site):
    """A hub model that is neither cached nor reachable is reported before torch is imported."""
    project, _ = make_site(model="unfragile-tests/not-a-real-model")
    probe = (
        "import sys, json, time\n"
        f"sys.path.insert(0, {str(SRC)!r})\n"
        "from unfragile_ssg.captions.testing import load_site\n"
        "from unfragile_ssg.captions.step import caption_entries\n"
        f"project, entries = load_site({str(project.config_path)!r})\n"
        "t = time.perf_counter(); report = caption_entries(project, entries)\n"
        "print(json.dumps({'warnings': [p.message for p in report.warnings], 'seconds': time.perf_counter() - t,"
        " 'torch': 'torch' in sys.modules, 'captioned': sum(v.captioned for v in report.samples['tiny-captioner'])}))\n"
    )
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True, env=env).stdout
    result = json.loads(out.strip().splitlines()[-1])
    [message] = result["warnings"]
    assert "could not load the captioning model 'unfragile-tests/not-a-real-model'" in message
    assert "HF_HUB_OFFLINE" in message and "hf download unfragile-tests/not-a-real-model" in message
    assert result["torch"] is False and result["captioned"] == 0 and result["seconds"] < 10


def test_check_mode_reads_only(make_site):
    project, entries = make_site()
    report = caption_entries(project, entries, compute=False)
    assert not project.caption_store.exists()
    [warning] = report.warnings
    assert "run `unfragile captions`" in warning.message
    assert all(v.image is None and not v.captioned for v in report.samples["tiny-captioner"])


def test_bad_images_do_not_lose_the_others(make_site, photos):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64)).save(buffer, "JPEG")
    images = dict(photos, **{"broken.jpg": buffer.getvalue()[:200], "notes.png": b"just some text\n"})
    project, entries = make_site(images=images)
    report = caption_entries(project, entries)
    assert report.computed == 3
    errors = {p.path: p.message for p in report.errors}
    assert set(errors) == {"content/media/broken.jpg", "content/media/notes.png"}
    assert "truncated or damaged" in errors["content/media/broken.jpg"]
    assert "not an image" in errors["content/media/notes.png"]
    assert "content/models/tiny-captioner.md" in errors["content/media/broken.jpg"]
    views = {v.source_path: v for v in report.samples["tiny-captioner"]}
    assert views["content/media/broken.jpg"].image is None and views["content/media/broken.jpg"].problem
    assert views["content/media/cat.jpg"].captioned
    with pytest.raises(SiteError) as caught:
        caption_entries(project, entries, strict=True)
    assert "content/media/broken.jpg: " in str(caught.value)


def test_prune_removes_only_what_no_entry_uses(make_site, store_files, photos):
    project, entries = make_site(entries={"one": ["wide.jpg"], "two": ["cat.jpg", "tall.png"]})
    caption_entries(project, entries)
    (project.caption_store / "README.md").write_text("kept\n")
    keep = [e for e in entries if e.slug == "one"]
    assert prune_store(project, keep) == 4  # two results and two photographs
    left = store_files(project)
    assert "README.md" in left and "models.json" in left
    assert caption_entries(project, keep).hits == 1
    assert prune_store(project, keep) == 0


def test_captions_command(make_site, capsys):
    project, _ = make_site()
    assert run_captions_command(project, prune=True, strict=False, overrides={"batch_size": 2}) == 0
    err = capsys.readouterr().err
    assert "3/3 images" in err and "images/s" in err and "left" in err
    assert "3/3 sample images captioned (0 from the store, 3 computed)" in err
    assert "pruned 0 unused item(s)" in err
    assert run_captions_command(project, prune=False, strict=False, overrides={"decoding": "nonsense"}) == 1
    assert "decoding" in capsys.readouterr().err


def test_invalid_override_is_a_site_error(make_site):
    project, entries = make_site()
    with pytest.raises(SiteError, match="batch_size"):
        caption_entries(project, entries, overrides={"batch_size": 0})


def test_entry_names_its_own_captioner(make_site, tiny_model, photos, store_files):
    """`captioner:` in an entry overrides captions.model for that entry's samples only."""
    import shutil

    project, _ = make_site(model="./no-such-model-folder/", entries={"own-model": ["wide.jpg"], "site-model": ["cat.jpg"]})
    shutil.copytree(tiny_model, project.root / "weights" / "tiny")
    entry_file = project.content_dir / "models" / "own-model.md"
    entry_file.write_text(entry_file.read_text("utf-8").replace("samples:", "captioner: weights/tiny\nsamples:", 1), "utf-8")
    project, entries = load_site(project.config_path)

    report = caption_entries(project, entries)
    [own] = report.samples["own-model"]
    [site] = report.samples["site-model"]
    assert own.captioned and own.model.startswith("weights/tiny (local folder")
    assert not site.captioned and report.computed == 1
    [warning] = report.warnings  # only the entry that uses the missing site model
    assert warning.path == "content/models/site-model.md" and "no-such-model-folder" in warning.message

    kept = store_files(project)
    assert prune_store(project, entries) == 0  # the entry's own model's results are in use
    assert store_files(project) == kept
    again = caption_entries(project, entries, compute=False)
    assert again.hits == 1 and again.samples["own-model"][0].caption == own.caption


def test_captioner_outside_the_site_is_refused(make_site, tiny_model, tmp_path):
    project, _ = make_site(entries={"escaper": ["wide.jpg"]})
    (project.root / "weights").symlink_to(tiny_model.parent, target_is_directory=True)
    entry_file = project.content_dir / "models" / "escaper.md"
    entry_file.write_text(entry_file.read_text("utf-8").replace("samples:", f"captioner: weights/{tiny_model.name}\nsamples:", 1), "utf-8")
    with pytest.raises(AssertionError, match=r"escaper.md:9:12: captioner 'weights/.*': weights is a symbolic link to '.*', outside the site: replace the link with the folder itself"):
        load_site(project.config_path)


@pytest.mark.parametrize("damage", ["malformed-json", "flipped-byte", "pickle"])
def test_a_damaged_model_hash_cache_is_a_miss(make_site, tmp_path, damage):
    from tests.test_cachefile import malicious_pickle

    project, entries = make_site()
    caption_entries(project, entries)
    cache = project.cache_dir / "caption-model-hashes.msgpack"
    assert cache.is_file()
    marker = tmp_path / "pwned"
    if damage == "malformed-json":
        cache.write_text('{"model.safetensors": {"stamp": ', "utf-8")
    elif damage == "flipped-byte":
        flip_byte(cache)
    else:
        cache.write_bytes(malicious_pickle(marker))
    (project.cache_dir / "caption-model-hashes.json").write_bytes(malicious_pickle(marker))  # the old name
    report = caption_entries(project, entries)
    assert report.hits == 3 and report.computed == 0 and not report.warnings
    assert not marker.exists()
    assert cache.read_bytes().startswith(b"unfragile-cache")  # written again
