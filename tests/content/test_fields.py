"""Valid fields as entries keep them: the capabilities packed, everything else at hand."""

from __future__ import annotations

import pickle

import pytest

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
    assert pickle.loads(pickle.dumps(kept)) == kept  # as the entry cache keeps it


def test_an_entry_unpacks_its_capabilities_once_when_asked() -> None:
    entry = Entry.of("models", "model", EntryFields.model_validate(FRONT), "Body.", "content/models/model.md", "0" * 64)
    assert "fields" not in entry.__dict__  # nothing unpacked by making it
    assert entry.head.title == "Model"
    assert [c.name for c in entry.fields.capabilities] == ["A", "B"]
    assert entry.fields is entry.fields
