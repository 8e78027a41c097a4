"""Markdown from untrusted contributors, rendered safely.

Raw HTML is off, and links and images may only use http(s), mailto or relative URLs:
anything else (``javascript:``, ``data:``, ``vbscript:``) is rendered as plain text.
A link from the site's root (``/models/x/``) gets the site's base path, so that it still
works when the site is served from a sub-folder.
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


@lru_cache(maxsize=4)
def _parser(base_path: str) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.validateLink = is_safe_link
    md.core.ruler.push("unfragile_adjust", lambda state: _adjust_tokens(state, base_path))
    return md


def _adjust_tokens(state, base_path: str) -> None:
    # an overview lives inside an entry page whose title is the <h1>: demote its headings
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"
        for child in token.children or ():
            attribute = {"link_open": "href", "image": "src"}.get(child.type)
            if attribute is None:
                continue
            target = str(child.attrGet(attribute) or "")
            if target.startswith("/") and not target.startswith("//"):
                child.attrSet(attribute, base_path.rstrip("/") + target)
            elif child.type == "link_open" and target.startswith(("http://", "https://")):
                child.attrSet("rel", "noopener nofollow")


def render_markdown(text: str, base_path: str = "/") -> str:
    """HTML for a markdown overview; headings start at <h2>."""
    return _parser(base_path).render(text)


def render_inline(text: str, base_path: str = "/") -> str:
    """HTML for one line of inline markdown (code spans, emphasis, links), no block tags."""
    return _parser(base_path).renderInline(text)
