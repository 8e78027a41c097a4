"""Opening sample images safely: size limits, decompression bombs, damaged files.

Every failure is a ``BadImage`` whose message names the file and says what to do; the
caller turns it into a Problem and carries on with the other samples.
"""

from __future__ import annotations

import warnings
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

MAX_FILE_BYTES = 30 * 1024 * 1024
MAX_PIXELS = 40_000_000  # about 7700 x 5200
FORMATS = {"JPEG", "PNG", "WEBP"}


class BadImage(Exception):
    def __init__(self, shown: str, message: str):
        self.shown = shown
        self.message = message
        super().__init__(f"{shown}: {message}")


def read_image_bytes(path: Path, shown: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise BadImage(shown, f"sample image is {size / 1e6:.1f} MB, over the {MAX_FILE_BYTES / 1e6:.0f} MB limit: save it smaller (at most 2048 px on the long side is plenty)")
        if size == 0:
            raise BadImage(shown, "sample image is an empty file: replace it with a JPEG, PNG or WebP image")
        return path.read_bytes()
    except OSError as error:
        raise BadImage(shown, f"cannot read sample image ({error.strerror or error}): check that the file exists and is readable") from None


def open_image_bytes(data: bytes, shown: str) -> Image.Image:
    """Decode and check an image; return it upright, in RGB. Raises BadImage."""
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(BytesIO(data))
            width, height = image.size
            if image.format not in FORMATS:
                raise BadImage(shown, f"sample image is a {image.format} file: use a JPEG, PNG or WebP image")
            if width * height > MAX_PIXELS:
                raise BadImage(shown, _too_big(width, height))
            image.load()
    except BadImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadImage(shown, _too_big(*_size_or_zero(data))) from None
    except UnidentifiedImageError:
        raise BadImage(shown, "not an image (its bytes are no JPEG, PNG or WebP data): replace it with a real image file") from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise BadImage(shown, f"sample image is truncated or damaged ({reason}): export it again") from None
    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # a broken EXIF block is no reason to lose the picture
        pass
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _too_big(width: int, height: int) -> str:
    size = f"{width}x{height} pixels" if width else "too many pixels"
    return (
        f"sample image has {size}, over the limit of {MAX_PIXELS // 1_000_000} megapixels "
        "(a decompression bomb, or simply too large): resize it to at most 2048 px on the long side"
    )


def _size_or_zero(data: bytes) -> tuple[int, int]:
    try:
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            return Image.open(BytesIO(data)).size
        finally:
            Image.MAX_IMAGE_PIXELS = saved
    except Exception:
        return (0, 0)
