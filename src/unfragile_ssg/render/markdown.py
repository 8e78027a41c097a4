"""Markdown from untrusted contributors, rendered safely.

Raw HTML is off, and links and images may only use http(s), mailto or relative URLs:
anything else (``javascript:``, ``data:``, ``vbscript:``) is rendered as plain text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt

_ALLOWED_SCHEME = re.compile(r"^(?:https?:|mailto:|[^:/?#]*(?:[/?#]|$))", re.IGNORECASE)


def is_safe_link(url: str) -> bool:
    """True for http(s), mailto and relative URLs (a scheme-less path, query or fragment)."""
    stripped = re.sub(r"[\x00-\x20]", "", url)
    return bool(_ALLOWED_SCHEME.match(stripped))


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.validateLink = is_safe_link
    md.core.ruler.push("unfragile_adjust", _adjust_tokens)
    return md


def _adjust_tokens(state) -> None:
    # an overview lives inside an entry page whose title is the <h1>: demote its headings
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"
        for child in token.children or ():
            if child.type == "link_open" and str(child.attrGet("href") or "").startswith(("http://", "https://")):
                child.attrSet("rel", "noopener nofollow")


def render_markdown(text: str) -> str:
    """HTML for a markdown overview; headings start at <h2>."""
    return _parser().render(text)


def render_inline(text: str) -> str:
    """HTML for one line of inline markdown (code spans, emphasis, links), no block tags."""
    return _parser().renderInline(text)
