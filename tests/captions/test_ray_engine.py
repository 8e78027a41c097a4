"""The Ray engine on a local Ray started by the tests (2 CPUs): the same store as the in-process
engine, and nothing lost when a worker or the driver dies half-way."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from unfragile_ssg.captions import engine as engines
from unfragile_ssg.captions.step import caption_entries
from unfragile_ssg.captions.store import CaptionStore

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_ray():
    """A Ray of 2 CPUs for this module; its address, for a driver in another process."""
    ray.init(num_cpus=2, include_dashboard=False, logging_level="warning", log_to_driver=False)
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


@pytest.fixture(scope="module")
def many_photos() -> dict[str, bytes]:
    """Twelve distinct small images (noise of different seeds)."""
    out = {}
    for i in range(12):
        pixels = np.random.default_rng(i).integers(0, 256, (40, 56, 3), dtype=np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, "PNG")
        out[f"noise-{i:02d}.png"] = buffer.getvalue()
    return out


def _ray_engines(monkeypatch) -> list:
    """Every RayEngine the run starts, as it starts."""
    started = []
    original = engines.RayEngine.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        started.append(self)

    monkeypatch.setattr(engines.RayEngine, "__init__", init)
    return started


def test_the_store_is_the_same_whatever_the_engine(local_ray, make_site, store_files, photos, many_photos):
    images = photos | dict(list(many_photos.items())[:3])
    stores = {}
    for label, captions in [("in-process", {"batch_size": 2}),
                            ("1 Ray worker", {"engine": "ray", "ray": {"workers": 1, "batch_size": 2}}),
                            ("2 Ray workers", {"engine": "ray", "ray": {"workers": 2, "batch_size": 1}})]:
        project, entries = make_site(images, folder=label.replace(" ", "-"), **captions)
        report = caption_entries(project, entries)
        assert (report.computed, report.errors) == (len(images), []), label
        stores[label] = store_files(project)
    assert len(stores["in-process"]) > 3 * len(images)
    assert stores["1 Ray worker"] == stores["in-process"]
    assert stores["2 Ray workers"] == stores["in-process"]


def test_a_killed_worker_loses_nothing_written(local_ray, make_site, monkeypatch, many_photos):
    project, entries = make_site(many_photos, engine="ray", ray={"workers": 1, "batch_size": 1})
    started = _ray_engines(monkeypatch)
    write = CaptionStore.write
    written = []

    def write_then_kill(self, key, record, files):
        out = write(self, key, record, files)
        written.append(key)
        if len(written) == 2:
            ray.kill(started[0].workers[0])
        return out

    monkeypatch.setattr(CaptionStore, "write", write_then_kill)
    report = caption_entries(project, entries)
    computed = report.computed
    assert 2 <= computed < len(many_photos)
    assert len(report.errors) == len(many_photos) - computed
    assert "every Ray worker died" in report.errors[0].message
    monkeypatch.setattr(CaptionStore, "write", write)

    again = caption_entries(project, entries)  # the rest, and only the rest
    assert (again.hits, again.computed, again.errors) == (computed, len(many_photos) - computed, [])


def test_the_other_workers_take_over_from_a_killed_one(local_ray, make_site, monkeypatch, many_photos):
    project, entries = make_site(many_photos, engine="ray", ray={"workers": 2, "batch_size": 1})
    started = _ray_engines(monkeypatch)
    write = CaptionStore.write

    def write_then_kill(self, key, record, files):
        if not started[0].__dict__.get("killed"):
            started[0].killed = True
            ray.kill(started[0].workers[0])
        return write(self, key, record, files)

    monkeypatch.setattr(CaptionStore, "write", write_then_kill)
    report = caption_entries(project, entries)
    assert (report.computed, report.errors) == (len(many_photos), [])


def test_workers_the_cluster_cannot_place_do_not_hold_the_run(local_ray, make_site, many_photos):
    images = dict(list(many_photos.items())[:4])
    project, entries = make_site(images, engine="ray", ray={"workers": 3, "batch_size": 2})  # 2 CPUs: one waits
    report = caption_entries(project, entries)
    assert (report.computed, report.errors) == (len(images), [])


def test_a_killed_driver_loses_nothing_written(local_ray, make_site, many_photos):
    project, entries = make_site(many_photos, max_new_tokens=20, min_new_tokens=20)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    driver = subprocess.Popen(
        [sys.executable, "-m", "unfragile_ssg", "captions", "--config", str(project.config_path),
         "--address", local_ray, "--workers", "1", "--batch-size", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )
    deadline = time.monotonic() + 240
    try:
        while not list(project.caption_store.rglob("result.json")):
            assert driver.poll() is None, driver.stderr.read().decode()
            assert time.monotonic() < deadline, "no result written in 240 s"
            time.sleep(0.01)
    finally:
        driver.send_signal(signal.SIGKILL)
        driver.wait()
    kept = caption_entries(project, entries, compute=False)  # read only: what the killed run left
    assert 1 <= kept.hits < len(many_photos)
    again = caption_entries(project, entries)
    assert (again.hits, again.computed, again.errors) == (kept.hits, len(many_photos) - kept.hits, [])
    assert not [p for p in project.caption_store.rglob(".tmp-*")]  # what the killed writes left went
