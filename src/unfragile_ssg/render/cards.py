"""Draw a share card (pages.cards.Card) as JPEG bytes with Pillow.

Deterministic: Pillow's own bundled font (``ImageFont.load_default``), no system font, no
timestamp or other metadata in the file; the same card text gives the same bytes."""

from __future__ import annotations

import io
from functools import lru_cache

from ..pages.cards import CARD_HEIGHT, CARD_WIDTH, Card

BACKGROUND = (17, 24, 39)
PANEL = (29, 78, 216)
TEXT = (248, 250, 252)
MUTED = (191, 200, 214)
MARGIN = 72
TITLE_LINES = 3


@lru_cache(maxsize=None)
def _font(size: int):
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def _wrap(draw, text: str, font, width: int, lines: int) -> list[str]:
    """``text`` in at most ``lines`` lines of at most ``width`` pixels, the last cut with an ellipsis."""
    words, out, line = text.split(), [], ""
    whole = " ".join(words)
    if draw.textlength(whole, font=font) <= width:  # it fits on one line: so does every start of it
        return [whole] if whole else []
    for word in words:
        trial = f"{line} {word}".strip()
        if draw.textlength(trial, font=font) <= width or not line:
            line = trial
        else:
            out.append(line)
            line = word
    if line:
        out.append(line)
    if len(out) > lines:
        out = out[:lines]
        last = out[-1]
        while last and draw.textlength(last + "…", font=font) > width:
            last = last[:-1]
        out[-1] = last.rstrip() + "…"
    for i, piece in enumerate(out):  # a single word wider than the card
        while draw.textlength(piece, font=font) > width and len(piece) > 1:
            piece = piece[:-2] + "…"
        out[i] = piece
    return out


BADGE_TOP = CARD_HEIGHT - 150


# What every card of a site shares (the background, the top stripe, the site's name), and a
# kind's badge, are drawn once and copied: the same pixels, since each is drawn on plain
# background that nothing else on the card touches (the title ends above the badge; the rank
# starts 40 px right of it).
@lru_cache(maxsize=16)
def _chrome(site: str):
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (CARD_WIDTH, CARD_HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, CARD_WIDTH, 14), fill=PANEL)
    draw.text((MARGIN, 64), site, font=_font(34), fill=MUTED)
    return image


@lru_cache(maxsize=64)
def _badge(kind: str):
    """The badge's width, and the area it is drawn in, as drawn on the background."""
    from PIL import Image, ImageDraw

    badge_font = _font(32)
    image = Image.new("RGB", (CARD_WIDTH, CARD_HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    kind_width = int(draw.textlength(kind, font=badge_font))
    top = BADGE_TOP
    draw.rounded_rectangle((MARGIN, top, MARGIN + kind_width + 40, top + 56), radius=12, fill=PANEL)
    draw.text((MARGIN + 20, top + 10), kind, font=badge_font, fill=TEXT)
    box = (MARGIN - 4, top - 4, MARGIN + kind_width + 45, top + 61)
    return kind_width, box, image.crop(box)


def draw_card(card: Card) -> bytes:
    from PIL import ImageDraw

    image = _chrome(card.site).copy()
    draw = ImageDraw.Draw(image)
    width = CARD_WIDTH - 2 * MARGIN
    title_font = _font(64)
    y = 150
    for line in _wrap(draw, card.title, title_font, width, TITLE_LINES):
        draw.text((MARGIN, y), line, font=title_font, fill=TEXT)
        y += 80
    kind_width, box, badge = _badge(card.kind)
    image.paste(badge, box[:2])
    top = BADGE_TOP
    rank_font = _font(40)
    rank = _wrap(draw, card.rank, rank_font, width - kind_width - 80, 1)[0]
    draw.text((MARGIN + kind_width + 80, top + 6), rank, font=rank_font, fill=TEXT)
    out = io.BytesIO()
    # JPEG at full chroma (4:4:4 keeps coloured text sharp): about 2 ms to encode a card where
    # PNG took 12 ms, the larger part of a cold build's time at thousands of comparisons
    image.save(out, format="JPEG", quality=90, subsampling=0)
    return out.getvalue()
