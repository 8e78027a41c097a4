"""Live reload for ``unfragile serve``: what the open pages are told after each rebuild.

``serve`` adds one script tag to the HTML it sends (never to the files it built, which stay
byte-identical to ``unfragile build``). The script listens to Server-Sent Events: a state
with a new build token reloads the page; a state with problems shows them over the page,
the last good site staying underneath.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

SCRIPT_URL = "/__unfragile/livereload.js"  # site URLs are slugs: no underscores, no clash
EVENTS_URL = "/__unfragile/events"
SCRIPT = (Path(__file__).resolve().parent.parent / "theme" / "serve" / "livereload.js").read_bytes()
KEEPALIVE_S = 15.0  # a comment this often, so a closed tab's connection is noticed and its thread ends

_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)


@dataclass(frozen=True)
class LiveState:
    build: str  # changes with every good build: pages made before it reload
    problems: tuple[str, ...] = ()  # of the latest build, when it failed

    def event(self) -> bytes:
        data = json.dumps({"build": self.build, "problems": list(self.problems)})
        return f"data: {data}\n\n".encode()


class LiveChannel:
    """The latest state, and a way for each open page's connection to wait for the next one."""

    def __init__(self) -> None:
        self._session = secrets.token_hex(4)  # a page from an earlier `serve` reloads on reconnecting
        self._builds = 0
        self._state = LiveState(self._token())
        self._changed = threading.Condition()
        self._closed = False

    def _token(self) -> str:
        return f"{self._session}-{self._builds}"

    @property
    def state(self) -> LiveState:
        return self._state

    def built(self) -> None:
        with self._changed:
            self._builds += 1
            self._state = LiveState(self._token())
            self._changed.notify_all()

    def failed(self, problems: list[str]) -> None:
        with self._changed:
            self._state = LiveState(self._state.build, tuple(problems))
            self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def next_state(self, seen: LiveState | None, timeout: float = KEEPALIVE_S) -> LiveState | None:
        """The state once it differs from ``seen`` (``seen`` again after ``timeout``);
        None once the channel is closed."""
        with self._changed:
            self._changed.wait_for(lambda: self._closed or self._state is not seen, timeout)
            return None if self._closed else self._state


def with_script(html: bytes, state: LiveState) -> bytes:
    """The page with the live-reload script added before its ``</body>`` (at its end if none)."""
    tag = f'<script src="{SCRIPT_URL}" data-build="{state.build}" data-events="{EVENTS_URL}"></script>'.encode()
    ends = list(_BODY_END.finditer(html))
    at = ends[-1].start() if ends else len(html)
    return html[:at] + tag + html[at:]
