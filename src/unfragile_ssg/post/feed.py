"""An Atom feed of new and updated entries, newest first, dated by the content's git history."""

from __future__ import annotations

from xml.sax.saxutils import escape

from ..content.history import FileDates

FEED_PATH = "feed.xml"
FEED_SIZE = 50
EPOCH = "1970-01-01T00:00:00Z"


def _signal_date(entry) -> str | None:
    """Without git history, the entry's own 'updated' or 'released' signal dates it."""
    signals = entry.head.signals
    for signal in (signals.updated, signals.released):
        if signal is not None:
            return signal.value.isoformat() + "T00:00:00Z"
    return None


def entry_dates(entry, dates: dict[str, FileDates]) -> tuple[str, str] | None:
    """(published, updated) of an entry, or None when nothing dates it."""
    known = dates.get(entry.source)
    if known is not None:
        return known.created, known.updated
    fallback = _signal_date(entry)
    return (fallback, fallback) if fallback else None


def atom_feed(settings, entries, url_of, absolute, dates: dict[str, FileDates], size: int = FEED_SIZE) -> str:
    """``url_of(entry)``: the entry's path under the base ('models/x/'); ``absolute``: path → URL."""
    dated = []
    for entry in entries:
        when = entry_dates(entry, dates)
        if when is not None:
            dated.append((when[1], when[0], entry))
    dated.sort(key=lambda item: (item[0], item[2].slug), reverse=True)
    dated = dated[:size]
    updated = dated[0][0] if dated else EPOCH
    author = settings.author or settings.title
    kinds = settings.kinds
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{escape(settings.language)}">',
        f"<title>{escape(settings.title)}: new and updated entries</title>",
    ]
    if settings.tagline:
        out.append(f"<subtitle>{escape(settings.tagline)}</subtitle>")
    out += [
        f'<link rel="self" type="application/atom+xml" href="{escape(absolute(FEED_PATH))}"/>',
        f'<link rel="alternate" type="text/html" href="{escape(absolute(""))}"/>',
        f"<id>{escape(absolute(''))}</id>",
        f"<updated>{escape(updated)}</updated>",
        f"<author><name>{escape(author)}</name></author>",
    ]
    for changed, published, entry in dated:
        link = absolute(url_of(entry))
        kind = kinds[entry.kind].label if entry.kind in kinds else entry.kind
        out += [
            "<entry>",
            f"<title>{escape(entry.head.title)}</title>",
            f'<link rel="alternate" type="text/html" href="{escape(link)}"/>',
            f"<id>{escape(link)}</id>",
            f"<published>{escape(published)}</published>",
            f"<updated>{escape(changed)}</updated>",
            f'<category term="{escape(kind)}"/>',
            f"<summary>{escape(entry.head.summary)}</summary>",
            "</entry>",
        ]
    out.append("</feed>")
    return "\n".join(out) + "\n"
