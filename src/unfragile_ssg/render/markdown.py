"""Markdown from untrusted contributors, rendered safely.

Raw HTML is off, and links and images may only use http(s), mailto or relative URLs:
anything else (``javascript:``, ``data:``, ``vbscript:``) is rendered as plain text.
A link from the site's root (``/models/x/``) gets the site's base path, so that it still
works when the site is served from a sub-folder.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

_ALLOWED_SCHEME = re.compile(r"^(?:https?:|mailto:|[^:/?#]*(?:[/?#]|$))", re.IGNORECASE)


def is_safe_link(url: str) -> bool:
    """True for http(s), mailto and relative URLs (a scheme-less path, query or fragment)."""
    stripped = re.sub(r"[\x00-\x20]", "", url)
    return bool(_ALLOWED_SCHEME.match(stripped))


@lru_cache(maxsize=4)
def _parser(base_path: str) -> MarkdownIt:
    from markdown_it import MarkdownIt  # on first use: a rebuild that renders nothing never imports it (0.1 s)

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.validateLink = is_safe_link
    md.core.ruler.push("unfragile_adjust", lambda state: _adjust_tokens(state, base_path))
    md.add_render_rule("table_open", _table_open)
    md.add_render_rule("table_close", _table_close)
    return md


# A table written in an overview can be wider than a phone: it scrolls inside the theme's
# .table-scroll box (edge shadows say so), which is focusable so a keyboard can scroll it too.
def _table_open(self, tokens, index, options, env) -> str:
    return '<div class="table-scroll" tabindex="0" role="region" aria-label="Table">\n' + self.renderToken(tokens, index, options, env)


def _table_close(self, tokens, index, options, env) -> str:
    return self.renderToken(tokens, index, options, env) + "</div>\n"


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


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^( {0,3})(#{1,6})(?=\s|$)")
_LINK_TARGET = re.compile(r"\]\(\s*<?([^)\s>]*)")
_REFERENCE = re.compile(r"^( {0,3})\[([^\]]+)\]:\s*<?(\S*?)>?(?:\s|$)")


def markdown_for_agents(text: str, base_path: str = "/", demote: int = 2) -> str:
    """An overview as markdown for a page's markdown twin, made as safe as its HTML: raw HTML
    shown as text (``<`` written ``&lt;`` outside code), links that the HTML page would not
    make (``javascript:``) left as text, links from the site's root given the base path, and
    headings ``demote`` levels down (under the twin's own headings)."""
    lines, fence = [], None
    for line in text.splitlines():
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            lines.append(line)
            continue
        if opening:
            fence = opening.group(1)
            lines.append(line)
            continue
        line = _HEADING.sub(lambda m: m.group(1) + "#" * min(len(m.group(2)) + demote, 6), line)
        reference = _REFERENCE.match(line)
        if reference and not is_safe_link(reference.group(3)):
            line = reference.group(1) + "\\" + line[len(reference.group(1)):]
        # code spans (between backticks) are shown as written; elsewhere '<' starts no tag
        parts = line.split("`")
        for i in range(0, len(parts), 2):
            parts[i] = _LINK_TARGET.sub(lambda m: _link(m, base_path), parts[i].replace("<", "&lt;"))
        lines.append("`".join(parts))
    return "\n".join(lines)


def _link(match: re.Match, base_path: str) -> str:
    target = match.group(1).replace("&lt;", "")
    if not is_safe_link(target):
        return "]\\(" + match.group(0)[2:]  # an escaped parenthesis: the link is text
    if target.startswith("/") and not target.startswith("//"):
        return match.group(0).replace(target, base_path.rstrip("/") + target, 1)
    return match.group(0)
