"""Every file the build reads lies inside the site: a symbolic link that leads out of it, in any
place the build reads from, is an error naming the link, and nothing is published."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import run_cli, tree
from unfragile_ssg.config import load_project
from unfragile_ssg.errors import SiteError
from unfragile_ssg.pages.urls import Linker
from unfragile_ssg.render.engine import make_environment, render_template

SECRET = "SECRET-FROM-OUTSIDE-THE-SITE"


def link(at: Path, target: Path) -> None:
    """A relative symbolic link, so that the message it shows is the same in every tmp_path."""
    at.parent.mkdir(parents=True, exist_ok=True)
    at.symlink_to(os.path.relpath(target, at.parent), target_is_directory=target.is_dir())


def outside(tmp_path: Path, name: str, text: str = SECRET) -> Path:
    path = tmp_path / "outside" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def entry_text(site: Path) -> str:
    return (site / "content/models/gamma-writer.md").read_text("utf-8").replace("Gamma", SECRET)


def make_entry_link(site: Path, tmp_path: Path) -> None:
    link(site / "content/models/leak.md", outside(tmp_path, "leak.md", entry_text(site)))


def make_kind_folder_link(site: Path, tmp_path: Path) -> None:
    shutil.move(site / "content/prompts", tmp_path / "outside/prompts")
    link(site / "content/prompts", tmp_path / "outside/prompts")


def make_content_link(site: Path, tmp_path: Path) -> None:
    shutil.move(site / "content", tmp_path / "outside/content")
    link(site / "content", tmp_path / "outside/content")


def make_asset_link(site: Path, tmp_path: Path) -> None:
    link(site / "assets/secret.txt", outside(tmp_path, "secret.txt"))


def make_asset_folder_link(site: Path, tmp_path: Path) -> None:
    outside(tmp_path, "images/secret.svg")
    link(site / "assets/images", tmp_path / "outside/images")


def make_layout_link(site: Path, tmp_path: Path) -> None:
    link(site / "layouts/home.html", outside(tmp_path, "home.html", SECRET + "{{ title }}"))


def make_layouts_link(site: Path, tmp_path: Path) -> None:
    outside(tmp_path, "layouts/home.html", SECRET + "{{ title }}")
    link(site / "layouts", tmp_path / "outside/layouts")


def make_sample_link(site: Path, tmp_path: Path) -> None:
    entry = site / "content/models/gamma-writer.md"
    sample = "samples:\n  - {image: ../media/photo.jpg, credit: Someone, license: CC0-1.0}\n"
    entry.write_text(entry.read_text("utf-8").replace("\n---\n", "\n" + sample + "---\n", 1), "utf-8")  # before the closing fence
    link(site / "content/media/photo.jpg", outside(tmp_path, "photo.jpg"))


def make_chained_link(site: Path, tmp_path: Path) -> None:
    """A link inside the site to another link, which leads out: the first is named."""
    link(site / "hop.txt", outside(tmp_path, "hop.txt"))
    link(site / "assets/first.txt", site / "hop.txt")



CASES = {
    "entry file": (make_entry_link, "content/models/leak.md: symbolic link to '../../../outside/leak.md', outside the site: replace the link with the file itself"),
    "kind folder": (make_kind_folder_link, "content/models/alpha-captioner.md:23:16: compare_with names no entry: 'beta-prompts': use the slug (file name) of an entry\n"  # the prompt it names is not read
                    "content/prompts: symbolic link to '../../outside/prompts', outside the site: replace the link with the folder itself"),
    "content folder": (make_content_link, "content: symbolic link to '../outside/content', outside the site: replace the link with the folder itself"),
    "asset file": (make_asset_link, "assets/secret.txt: symbolic link to '../../outside/secret.txt', outside the site: replace the link with the file itself"),
    "asset folder": (make_asset_folder_link, "assets/images: symbolic link to '../../outside/images', outside the site: replace the link with the folder itself"),
    "layout file": (make_layout_link, "layouts/home.html: symbolic link to '../../outside/home.html', outside the site: replace the link with the file itself"),
    "layouts folder": (make_layouts_link, "layouts: symbolic link to '../outside/layouts', outside the site: replace the link with the folder itself"),
    "chained link": (make_chained_link, "assets/first.txt: symbolic link to '../hop.txt' (which leads to '{outside}/hop.txt'), outside the site: replace the link with the file itself"),
    "sample image": (make_sample_link, "content/models/gamma-writer.md:{line}:13: sample image '../media/photo.jpg': content/media/photo.jpg is a symbolic link to '../../../outside/photo.jpg', outside the site: replace the link with the file itself"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_link_out_of_the_site_is_an_error_and_nothing_is_published(case: str, basic_site: Path, tmp_path: Path) -> None:
    make, expected = CASES[case]
    site = basic_site.parent
    make(site, tmp_path)
    if "{line}" in expected:
        lines = (site / "content/models/gamma-writer.md").read_text("utf-8").splitlines()
        expected = expected.format(line=next(i for i, text in enumerate(lines, 1) if "photo.jpg" in text))
    expected = expected.replace("{outside}", str((tmp_path / "outside").resolve()))
    for command in ("check", "build"):
        result = run_cli(command, "--config", str(basic_site), *(["--output", str(tmp_path / "public"), "--no-search"] if command == "build" else []))
        count = expected.count("\n") + 1
        assert (result.exit_code, result.stderr) == (1, f"{expected}\n{count} problem{'s' * (count > 1)} found; nothing was written.\n"), command
    assert not (tmp_path / "public").exists()


def test_links_inside_the_site_are_followed(basic_site: Path, tmp_path: Path) -> None:
    site = basic_site.parent
    (site / "shared/icons").mkdir(parents=True)
    (site / "shared/icons/mark.svg").write_text("<svg/>", "utf-8")
    link(site / "assets/icons", site / "shared/icons")
    (site / "shared/models").mkdir()
    shutil.copy(site / "content/models/gamma-writer.md", site / "shared/models/delta-writer.md")
    link(site / "content/models/delta-writer.md", site / "shared/models/delta-writer.md")
    result = run_cli("build", "--config", str(basic_site), "--output", str(tmp_path / "public"), "--no-search")
    assert result.exit_code == 0, result.stderr
    files = tree(tmp_path / "public")
    assert files["assets/icons/mark.svg"] == b"<svg/>"
    assert "models/delta-writer/index.html" in files


def test_a_template_loaded_by_name_is_confined_too(basic_site: Path, tmp_path: Path) -> None:
    """The loader asks again for each file it opens: a link made after the folder was listed
    (or a name no listing saw) is refused as well."""
    project = load_project(basic_site)
    (project.layouts_dir).mkdir()
    env = make_environment(project, Linker("/", project.settings.base_url), {})
    link(project.layouts_dir / "late.html", outside(tmp_path, "late.html"))
    with pytest.raises(SiteError) as caught:
        render_template(env, "late.html", {}, project)
    assert [str(p) for p in caught.value.problems] == [
        "layouts/late.html: symbolic link to '../../outside/late.html', outside the site: replace the link with the file itself"
    ]


def test_a_link_loop_inside_the_site_ends(basic_site: Path, tmp_path: Path) -> None:
    site = basic_site.parent
    (site / "assets/icons").mkdir(parents=True)
    (site / "assets/icons/mark.svg").write_text("<svg/>", "utf-8")
    link(site / "assets/icons/again", site / "assets")
    result = run_cli("build", "--config", str(basic_site), "--output", str(tmp_path / "public"), "--no-search")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "public/assets/icons/mark.svg").is_file()


def test_a_fifo_is_not_read(basic_site: Path, tmp_path: Path) -> None:
    """A named pipe would block the build for ever: only regular files are entries or assets."""
    site = basic_site.parent
    os.mkfifo(site / "content/models/pipe.md")
    (site / "assets").mkdir()
    os.mkfifo(site / "assets/pipe.css")
    result = run_cli("build", "--config", str(basic_site), "--output", str(tmp_path / "public"), "--no-search")
    assert result.exit_code == 0, result.stderr
    assert not (tmp_path / "public/models/pipe").exists()


def test_a_published_caption_image_from_outside_the_site(tmp_path: Path) -> None:
    """The caption store's photographs are copied into the output as they are."""
    from tests.conftest import ROOT

    site = tmp_path / "site"
    for name in ("content", "captions", "shapes/model"):
        shutil.copytree(ROOT / name, site / name)
    shutil.copy(ROOT / "unfragile.yaml", site / "unfragile.yaml")
    first = run_cli("build", "--config", str(site / "unfragile.yaml"), "--output", str(tmp_path / "public"), "--no-search", "--no-captions")
    assert first.exit_code == 0, first.stderr
    published = sorted((tmp_path / "public/captions/images").glob("*/*"))[0].name
    image = site / "captions/images" / published[:2] / published  # the store's shard of it, as published
    shutil.move(image, outside(tmp_path, "x").parent / published)
    link(image, tmp_path / "outside" / published)
    shutil.rmtree(tmp_path / "public")
    result = run_cli("build", "--config", str(site / "unfragile.yaml"), "--output", str(tmp_path / "public"), "--no-search", "--no-captions")
    assert (result.exit_code, result.stderr.splitlines()[-2:]) == (1, [
        f"captions/images/{published[:2]}/{published}: symbolic link to '../../../../outside/{published}', outside the site: "
        "replace the link with the file itself",
        "1 problem found; nothing was written."])
    assert not (tmp_path / "public").exists()


def test_the_settings_file_itself(basic_site: Path, tmp_path: Path) -> None:
    """Errors quote what they read: a settings file linked to a secret would print it."""
    secret = outside(tmp_path, "credentials", "[default]\naws_secret_access_key = abc123\n")
    basic_site.unlink()
    link(basic_site, secret)
    result = run_cli("check", "--config", str(basic_site))
    assert (result.exit_code, result.stderr) == (1, "unfragile.yaml: symbolic link to '../outside/credentials', outside the site: "
                                                    "replace the link with the file itself\n1 problem found; nothing was written.\n")
