"""What the Unfragile Capability Protocol's own validator warns about, applied to entries.

The protocol (the builder manifest, ``unfragile.yml``) asks of every artifact a description
of at least 100 characters per capability, at least 3 capabilities, and the limitations its
publisher knows of. An entry that falls short still builds; ``check`` and ``build`` warn,
and ``--strict`` fails, where the site says ``check: {protocol: warn}`` (off by default: a catalog
written before capabilities could hold limitations would fail ``--strict`` the day it upgraded).
"""

from __future__ import annotations

from ..config import Project
from ..errors import Problem
from .load import position_in
from .validate import Entry

MIN_DESCRIPTION = 100
MIN_CAPABILITIES = 3


def protocol_warnings(project: Project, entries: list[Entry]) -> list[Problem]:
    if project.settings.check.protocol == "off":
        return []
    warnings = []
    for entry in entries:
        found = entry_warnings(entry)
        if not found:
            continue
        path = project.root / entry.source
        for where, message in found:
            line, col = position_in(project, entry.kind, path, where)  # the file is read again only for an entry that warns
            warnings.append(Problem(entry.source, line, col, message, severity="warning"))
    return warnings


def entry_warnings(entry: Entry) -> list[tuple[tuple, str]]:
    """(where in the front matter, message) for each way ``entry`` falls short of the protocol."""
    capabilities = entry.kept.capabilities()
    found: list[tuple[tuple, str]] = []
    for i, capability in enumerate(capabilities):
        if len(capability.description) < MIN_DESCRIPTION:
            found.append((("capabilities", i, "description"), (
                f"capability '{capability.name}' has a description of {len(capability.description)} characters, fewer than "
                f"{MIN_DESCRIPTION}: say how it works, precisely enough for an engineer to judge (or set 'check: {{protocol: off}}' in unfragile.yaml)")))
    if len(capabilities) < MIN_CAPABILITIES:
        found.append((("capabilities",) if capabilities else ("title",), (
            f"{len(capabilities)} capabilit{'y' if len(capabilities) == 1 else 'ies'}, fewer than {MIN_CAPABILITIES}: describe what else "
            "it does, one capability per job (or set 'check: {protocol: off}' in unfragile.yaml)")))
    if capabilities and not any(c.limitations for c in capabilities):
        found.append((("capabilities",), (
            "no capability records a limitation: add 'limitations' where the publisher documents them "
            "(or set 'check: {protocol: off}' in unfragile.yaml)")))
    return found
