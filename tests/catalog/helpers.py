"""Build entries and catalogs in memory, and check verdicts against shown numbers."""

from __future__ import annotations

import random
import re

from unfragile_ssg.catalog.model import SUBSCORE_LABELS, SUBSCORES, Scores
from unfragile_ssg.config import KindScoring, Settings, TaskSettings
from unfragile_ssg.content.schema import EntryFields
from unfragile_ssg.content.validate import Entry
from unfragile_ssg.render.engine import format_score

TASKS = ["image-captioning", "visual-question-answering", "ocr", "object-detection", "text-generation",
         "prompt-engineering", "code-generation", "agents"]
WORDS = {
    "image-captioning": "caption image describe sentence photo picture decoder",
    "visual-question-answering": "question answer image visual reasoning chat",
    "ocr": "text read document scan characters receipt",
    "object-detection": "boxes objects detect region locate bounding",
    "text-generation": "write text continue instruction language",
    "prompt-engineering": "prompt instruction template examples guide",
    "code-generation": "code program function python complete",
    "agents": "agent tool plan call step action",
}
SOURCE = "https://example.org/source"
# which sub-scores apply to which kind (scoring.kinds): all four, Quality not for prompts, fewer still
KIND_RULES = [
    {},
    {"prompts": KindScoring(subscores=["adoption", "ecosystem", "match_graph"])},
    {"prompts": KindScoring(subscores=["ecosystem", "match_graph"], min_subscores=1),
     "models": KindScoring(subscores=["adoption", "quality", "ecosystem"])},
]


def settings(**changes) -> Settings:
    base = {"tasks": {t: TaskSettings(label=t.replace("-", " ").capitalize()) for t in TASKS}}
    return Settings(**(base | changes))


def make_entry(slug: str, kind: str = "models", tasks=("image-captioning",), signals=None, text: str = "",
               compare_with=(), licence: str = "MIT", links=None, title: str | None = None) -> Entry:
    fields = EntryFields.model_validate({
        "title": title or slug.replace("-", " ").title(),
        "summary": f"{slug} summary. {text}"[:290],
        "publisher": "Someone",
        "license": licence,
        "pricing": "free",
        "links": links if links is not None else {"source": SOURCE},
        "tasks": list(tasks),
        "signals": signals or {},
        "compare_with": list(compare_with),
        "capabilities": [{"name": "Main job", "description": text or slug}],
    })
    return Entry.of(kind, slug, fields, text, f"content/{kind}/{slug}.md", "0" * 64)


def count(value: int) -> dict:
    return {"value": value, "as_of": "2026-01-01", "source": SOURCE}


def random_entries(rng: random.Random, n: int) -> list[Entry]:
    """A random catalog: random tasks, text from the tasks' words, random (often missing) signals."""
    slugs = [f"e{i:04d}" for i in range(n)]
    entries = []
    for i, slug in enumerate(slugs):
        tasks = rng.sample(TASKS, rng.randint(1, 3))
        words = " ".join(rng.choice(WORDS[t].split()) for t in tasks for _ in range(rng.randint(3, 12)))
        signals: dict = {}
        for name, high in (("downloads", 10**7), ("likes", 10**4), ("stars", 10**5), ("forks", 10**4), ("citations", 10**4)):
            if rng.random() < 0.5:
                signals[name] = count(rng.choice([0, 1, rng.randint(0, high), high * 10]))
        if rng.random() < 0.6:
            signals["released"] = {"value": f"20{rng.randint(18, 26)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}", "source": SOURCE}
        benches = []
        for b in range(rng.randint(0, 3)):
            benches.append({"name": rng.choice(["COCO", "VQAv2", "TextVQA (val)", "TextVQA"]),
                            "metric": rng.choice(["CIDEr", "Accuracy"]),
                            "value": rng.choice([0.0, -1.5, rng.uniform(0, 150)]),
                            "higher_is_better": rng.random() < 0.8, "source": SOURCE})
        signals["benchmarks"] = benches
        others = [s for s in rng.sample(slugs, min(n, 3)) if s != slug] if rng.random() < 0.3 else []
        licence = rng.choice(["MIT", "Apache-2.0", "CC-BY-NC-4.0", "Custom licence"])
        links = {k: SOURCE for k in ("source", "docs", "paper", "model_card") if rng.random() < 0.5}
        title = rng.choice(["Model", "Tool and Co", "Alpha (base)", "vs", "Leads"]) + f" {i}"
        entries.append(make_entry(slug, rng.choice(["models", "prompts"]), tasks, signals, words, others, licence, links, title))
    return entries


# -- the verdict checker: an independent reading of the sentence grammar --------------------

_LABEL = {SUBSCORE_LABELS[n].lower(): n for n in SUBSCORES}
_ITEM = re.compile(r"(adoption|quality|ecosystem|match graph) \((\d+)(?: vs (\d+))?\)")


def _shown(value):
    text = format_score(value)
    return None if text == "insufficient data" else int(text)


def _labels(text: str) -> list[str]:
    return [_LABEL[x] for x in re.split(r", | and ", text)]


def _apply(text: str) -> str:
    return r"(?:it does|they do) not apply to " + text


def check_verdict(text: str, first_title: str, first: Scores, second_title: str, second: Scores, margin: float) -> None:
    """Assert that every sentence of ``text`` is true of the numbers the table shows, that each
    fact is told once, and that together they tell every one: per measure and side, its number
    (compared with the other side's), that it is missing, or that it does not apply."""
    scores = {first_title: first, second_title: second}
    shown = {t: {m: _shown(s.get(m)) for m in ("rank",) + SUBSCORES} for t, s in scores.items()}
    other = {first_title: second_title, second_title: first_title}
    told: list[tuple] = []

    def state(title: str, name: str) -> str:
        if not scores[title].applies_to(name):
            return "inapplicable"
        return "missing" if shown[title][name] is None else "value"

    def labels(text: str) -> list[str]:
        return _labels(text)

    for sentence in re.split(r"(?<=\.) (?=[A-Z]|\w)", text):
        assert sentence.endswith("."), sentence
        body = sentence[:-1]
        m = re.fullmatch(r"There is not enough evidence to rank (.+) yet, so this page makes no overall call", body)
        if m:
            missing = [t for t in (first_title, second_title) if shown[t]["rank"] is None]
            assert m.group(1) == " or ".join(missing), sentence
            told.append(("rank",))
            continue
        if body.startswith(f"{first_title} and {second_title} are "):
            rest = body[len(f"{first_title} and {second_title} are "):]
            a, b = shown[first_title]["rank"], shown[second_title]["rank"]
            if m := re.fullmatch(r"tied overall at (\d+)/100", rest):
                assert a == b == int(m.group(1)), sentence
            else:
                m = re.fullmatch(r"within ([\d.]+) points? of each other overall \((\d+) vs (\d+)\), too close to call", rest)
                assert m, sentence
                assert float(m.group(1)) == margin and (int(m.group(2)), int(m.group(3))) == (a, b), sentence
                assert 0 < abs(a - b) <= margin, sentence
            told.append(("rank",))
            continue
        if body.startswith("They are tied on "):
            for label, x, y in _ITEM.findall(body[len("They are tied on "):]):
                name = _LABEL[label]
                assert y == "" and shown[first_title][name] == shown[second_title][name] == int(x), sentence
                told.append(("compared", name))
            continue
        if m := re.fullmatch(r"They are within ([\d.]+) points? on (.+)", body):
            assert float(m.group(1)) == margin
            for label, x, y in _ITEM.findall(m.group(2)):
                name = _LABEL[label]
                a, b = shown[first_title][name], shown[second_title][name]
                assert (int(x), int(y)) == (a, b) and 0 < abs(a - b) <= margin, sentence
                told.append(("compared", name))
            continue
        if m := re.fullmatch(r"Neither has enough data for (.+)", body):
            for name in labels(m.group(1)):
                assert state(first_title, name) == state(second_title, name) == "missing", sentence
                told += [("missing", first_title, name), ("missing", second_title, name)]
            continue
        if m := re.fullmatch(r"Neither is scored on ([a-z ,]+?): " + _apply(r"(.+)"), body):
            scopes = " or ".join(dict.fromkeys([first.scope, second.scope]))
            assert m.group(2) == scopes, sentence
            for name in labels(m.group(1)):
                assert state(first_title, name) == state(second_title, name) == "inapplicable", sentence
                told += [("inapplicable", first_title, name), ("inapplicable", second_title, name)]
            continue
        matched = False
        for who in (first_title, second_title):
            if body.startswith(f"{who} ranks higher overall: "):
                m = re.fullmatch(r"(\d+)/100 vs (\d+)/100", body[len(f"{who} ranks higher overall: "):])
                assert m, sentence
                mine, theirs = shown[who]["rank"], shown[other[who]]["rank"]
                assert (int(m.group(1)), int(m.group(2))) == (mine, theirs) and mine - theirs > margin, sentence
                told.append(("rank",))
            elif body.startswith(f"{who} leads on "):
                items = _ITEM.findall(body[len(f"{who} leads on "):])
                assert items, sentence
                for label, x, y in items:
                    name = _LABEL[label]
                    mine, theirs = shown[who][name], shown[other[who]][name]
                    assert (int(x), int(y)) == (mine, theirs) and mine - theirs > margin, sentence
                    told.append(("compared", name))
            elif body.startswith(f"{who} has insufficient data for "):
                for name in labels(body[len(f"{who} has insufficient data for "):]):
                    assert state(who, name) == "missing" and state(other[who], name) != "missing", sentence
                    told.append(("missing", who, name))
            elif m := re.fullmatch(re.escape(who) + r" is not scored on ([a-z ,]+?): " + _apply(r"(.+)"), body):
                assert m.group(2) == scores[who].scope, sentence
                for name in labels(m.group(1)):
                    assert state(who, name) == "inapplicable" and state(other[who], name) != "inapplicable", sentence
                    told.append(("inapplicable", who, name))
            elif m := re.fullmatch(re.escape(who) + r"'s rank rests on (\d) of (\d) sub-scores?(?: that apply to (.+))?", body):
                applies = scores[who].applies
                assert int(m.group(1)) == scores[who].basis < 4 and shown[who]["rank"] is not None, sentence
                assert int(m.group(2)) == len(applies), sentence
                assert m.group(3) == (None if len(applies) == 4 else scores[who].scope), sentence
                told.append(("basis", who))
            else:
                continue
            matched = True
            break
        assert matched, f"unrecognised sentence: {sentence!r}"
    expected: list[tuple] = [("rank",)]
    for name in SUBSCORES:
        states = {t: state(t, name) for t in (first_title, second_title)}
        if set(states.values()) == {"value"}:
            expected.append(("compared", name))
        expected += [(s, t, name) for t, s in states.items() if s != "value"]
    both_ranked = shown[first_title]["rank"] is not None and shown[second_title]["rank"] is not None
    expected += [("basis", t) for t in (first_title, second_title) if both_ranked and scores[t].basis < 4]
    assert sorted(told) == sorted(expected), (text, told, expected)
