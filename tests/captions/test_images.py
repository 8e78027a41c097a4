"""Bad sample images give a clear error naming the file (no model needed)."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from unfragile_ssg.captions.images import BadImage, open_image_bytes, read_image_bytes


def png_header_bomb(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels, with almost no data behind it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def jpeg(size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 100, 50)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_good_image_opens_as_rgb():
    assert open_image_bytes(jpeg(), "a.jpg").mode == "RGB"


def test_rgba_png_is_flattened_on_white():
    buffer = io.BytesIO()
    Image.new("RGBA", (8, 8), (0, 0, 0, 0)).save(buffer, "PNG")
    image = open_image_bytes(buffer.getvalue(), "t.png")
    assert image.mode == "RGB" and image.getpixel((0, 0)) == (255, 255, 255)


@pytest.mark.parametrize(
    "data,expected",
    [
        (jpeg()[:300], "truncated or damaged"),
        (b"hello, I am a text file\n" * 10, "not an image"),
        (png_header_bomb(100_000, 100_000), "decompression bomb"),  # over Pillow's own limit too
        (png_header_bomb(9_000, 6_000), "over the limit of 40 megapixels"),
    ],
    ids=["truncated", "not-an-image", "bomb", "huge"],
)
def test_bad_images_name_the_file(data, expected):
    with pytest.raises(BadImage) as caught:
        open_image_bytes(data, "content/media/bad.jpg")
    assert expected in caught.value.message
    assert str(caught.value).startswith("content/media/bad.jpg: ")


def test_other_formats_are_refused():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "GIF")
    with pytest.raises(BadImage, match="is a GIF file"):
        open_image_bytes(buffer.getvalue(), "x.png")


def test_empty_and_oversized_files(tmp_path, monkeypatch):
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(BadImage, match="empty file"):
        read_image_bytes(empty, "empty.jpg")
    import unfragile_ssg.captions.images as images

    monkeypatch.setattr(images, "MAX_FILE_BYTES", 100)
    big = tmp_path / "big.jpg"
    big.write_bytes(jpeg())
    with pytest.raises(BadImage, match="over the 0 MB limit|MB limit"):
        read_image_bytes(big, "big.jpg")
    with pytest.raises(BadImage, match="cannot read"):
        read_image_bytes(tmp_path / "missing.jpg", "missing.jpg")
