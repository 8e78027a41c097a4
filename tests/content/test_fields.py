"""Valid fields as entries keep them: the capabilities packed, everything else at hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from unfragile_ssg.content.cache import ENTRY_RESULTS, EntryCache
from unfragile_ssg.content.load import RawEntry
from unfragile_ssg.yamldoc import Positions

from unfragile_ssg.content.schema import EntryFields, EntryHead
from unfragile_ssg.content.validate import Entry, Fields

FRONT = {
    "title": "Model", "summary": "Does things.", "publisher": "P", "license": "MIT", "pricing": "free",
    "tasks": ["image-captioning"], "links": {"source": "https://example.org/x"},
    "capabilities": [
        {"name": "A", "description": "First.", "tasks": ["ocr", "image-captioning"]},
        {"name": "B", "description": "Second.", "unique": "Only it.", "tasks": ["ocr"]},
    ],
}


def test_packed_fields_unpack_to_the_validated_ones() -> None:
    fields = EntryFields.model_validate(FRONT)
    kept = Fields.pack(fields)
    assert kept.unpack() == fields
    assert kept.unpack().model_dump(exclude_unset=True) == fields.model_dump(exclude_unset=True)
    assert kept.capability_tasks == ("ocr", "image-captioning") and kept.capability_count == 2
    assert kept.head == EntryHead.model_validate({k: v for k, v in FRONT.items() if k != "capabilities"})
    with pytest.raises(AttributeError):
        kept.head.capabilities  # noqa: B018 -- the head has none to mislead with
    # as the entry cache keeps it: plain data, read back through the schema
    raw = RawEntry("models", "model", Path("/site/content/models/model.md"), "content/models/model.md", {}, Positions(), "Body.", 12, "0" * 64)
    record = ENTRY_RESULTS.encode((raw, None, (kept, [])))
    back_raw, problem, (back, problems) = ENTRY_RESULTS.decode(EntryCache.key_of(raw.display, raw.digest), record)
    assert back == kept and back.unpack() == fields and problem is None and problems == []
    assert (back_raw.path, back_raw.body, back_raw.body_line, back_raw.digest) == (raw.path, "Body.", 12, "0" * 64)
    with pytest.raises(ValueError):  # a record that claims another file's key
        ENTRY_RESULTS.decode(EntryCache.key_of("content/models/other.md", raw.digest), record)
    with pytest.raises(ValueError):  # fields the schema refuses
        ENTRY_RESULTS.decode(EntryCache.key_of(raw.display, raw.digest), record._replace(head=b'{"title": 1}'))


def test_an_entry_unpacks_its_capabilities_once_when_asked() -> None:
    entry = Entry.of("models", "model", EntryFields.model_validate(FRONT), "Body.", "content/models/model.md", "0" * 64)
    assert "fields" not in entry.__dict__  # nothing unpacked by making it
    assert entry.head.title == "Model"
    assert [c.name for c in entry.fields.capabilities] == ["A", "B"]
    assert entry.fields is entry.fields
