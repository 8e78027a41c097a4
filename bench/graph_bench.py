"""Benchmark scoring and the match graph on synthetic catalogs (entries built in memory).

    .venv/bin/python bench/graph_bench.py                 # 1,000 and 10,000 entries
    .venv/bin/python bench/graph_bench.py --entries 2000

Then a one-entry edit (a word no other entry has; three of the commonest words), the graph
(from term counts at hand, as the build's term cache gives them) updated from the previous state (``update_graph``) beside computed afresh, and whether the two
are equal.

Each size runs in a fresh child process, so that its peak memory is its own. Texts are as
long as bench/synthetic.py's (4–14 capabilities of 100–160 words, a 2–5 paragraph overview)
but drawn from a Zipf-distributed vocabulary of 30,000 words, as real text is, rather than
from 50 words.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

CHILD = r"""
import json, random, resource, sys, time
import numpy as np
from unfragile_ssg.catalog.graph import build_graph
from unfragile_ssg.catalog.rank import score_entries
from unfragile_ssg.catalog.text import entry_text, tfidf
from unfragile_ssg.config import Settings, TaskSettings
from unfragile_ssg.content.schema import EntryFields
from unfragile_ssg.content.validate import Entry

n, seed = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(seed)
np_rng = np.random.default_rng(seed)
TASKS = ["image-captioning", "visual-question-answering", "image-text-retrieval", "object-detection", "ocr",
         "text-generation", "code-generation", "prompt-engineering", "agents", "ai-safety"]
VOCAB = [f"w{i}" for i in range(30000)]
ranks = np.arange(1, len(VOCAB) + 1)
zipf = 1.0 / ranks
cdf = np.cumsum(zipf / zipf.sum())
TOPIC = {t: [f"{t.split('-')[0]}{k}" for k in range(40)] for t in TASKS}

def words(count, tasks):
    ids = np.minimum(np.searchsorted(cdf, np_rng.random(count)), len(VOCAB) - 1)
    out = [VOCAB[i] for i in ids]
    for k in range(count // 8):  # topic words tie entries that share a task
        out[rng.randrange(count)] = rng.choice(TOPIC[rng.choice(tasks)])
    return " ".join(out)

src = "https://hub.example/x"
slugs = [f"entry-{i:05d}" for i in range(n)]
entries = []
for i, slug in enumerate(slugs):
    tasks = rng.sample(TASKS, rng.randint(1, 3))
    caps = [{"name": words(5, tasks), "description": words(rng.randint(40, 70), tasks),
             "unique": words(rng.randint(25, 45), tasks), "vs_alternatives": words(rng.randint(25, 45), tasks),
             "tasks": [rng.choice(tasks)]} for _ in range(rng.randint(4, 14))]
    signals = {
        "downloads": {"value": rng.randint(0, 5_000_000), "as_of": "2026-10-01", "source": src},
        "likes": {"value": rng.randint(0, 5000), "as_of": "2026-10-01", "source": src},
        "stars": {"value": rng.randint(0, 50000), "as_of": "2026-10-01", "source": src},
        "released": {"value": f"20{rng.randint(18, 26)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}", "source": src},
        "benchmarks": [{"name": f"Bench {rng.randint(0, 30)}", "metric": "Accuracy", "value": rng.uniform(20, 90), "source": src}
                       for _ in range(rng.randint(0, 3))],
    }
    fields = EntryFields.model_validate({
        "title": f"Entry {i}", "summary": words(rng.randint(12, 25), tasks), "publisher": f"Publisher {i % 97}",
        "license": rng.choice(["MIT", "Apache-2.0", "CC-BY-NC-4.0"]), "pricing": "free",
        "links": {"homepage": src, "source": src}, "tasks": tasks, "tags": [f"tag-{i % 13}"], "signals": signals,
        "capabilities": caps, "compare_with": [o for o in rng.sample(slugs, 4) if o != slug][:3],
    })
    body = "\n\n".join(words(rng.randint(60, 120), tasks) for _ in range(rng.randint(2, 5)))
    entries.append(Entry.of("models" if i % 3 else "prompts", slug, fields, body, f"content/{slug}.md", f"{i:064x}"))
settings = Settings(tasks={t: TaskSettings(label=t) for t in TASKS})
if len(sys.argv) > 3:
    import pickle
    with open(sys.argv[3], "wb") as fh:
        pickle.dump((entries, settings), fh)
base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

t0 = time.perf_counter()
tf = tfidf([entry_text(e) for e in entries])
t_text = time.perf_counter() - t0
vocabulary, nnz = len(tf.terms), len(tf.data)
del tf
t0, c0 = time.perf_counter(), time.process_time()
graph = build_graph(entries, settings)
t_graph, c_graph = time.perf_counter() - t0, time.process_time() - c0
t0, c0 = time.perf_counter(), time.process_time()
scores = score_entries(entries, graph, settings).scores
t_score, c_score = time.perf_counter() - t0, time.process_time() - c0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

# one-entry edits, updated from the previous state and computed afresh (they must be equal)
import dataclasses
from unfragile_ssg.catalog.graph import update_graph
from unfragile_ssg.catalog.terms import entry_term_counts
ordered = sorted(entries, key=lambda e: e.slug)
counts = entry_term_counts(ordered)  # as a build has them from its term cache: only an edited entry is counted
_, state = update_graph(ordered, settings, None, counts)
edits = {}
for label, extra in (("rare_word", " zzyzx"), ("common_words", " " + " ".join(VOCAB[:3]))):
    edited = ordered[:]
    edited[n // 2] = dataclasses.replace(ordered[n // 2], body=ordered[n // 2].body + extra, digest="e" * 64)
    edited_counts = counts[:]
    t0, c0 = time.perf_counter(), time.process_time()
    edited_counts[n // 2] = entry_term_counts([edited[n // 2]])[0]
    updated, updated_state = update_graph(edited, settings, state, edited_counts)
    t_update, c_update = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    fresh, fresh_state = update_graph(edited, settings, None, edited_counts)
    edits[label] = {"update_s": t_update, "update_cpu": c_update, "full_s": time.perf_counter() - t0,
                    "full_cpu": time.process_time() - c0, "equal": updated == fresh and updated_state == fresh_state}
print(json.dumps({"edits": edits, "entries": n, "tfidf_s": t_text, "graph_s": t_graph, "score_s": t_score, "graph_cpu": c_graph, "score_cpu": c_score,
                  "pairs": len(graph.pairs), "curated": graph.stats["curated"], "candidate_pairs": graph.candidate_pairs,
                  "exact": graph.exact, "vocabulary": vocabulary, "nonzeros": nnz,
                  "rss_before_mb": base_rss, "peak_rss_mb": peak, "ranked": sum(s.rank is not None for s in scores.values())}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, action="append", help="catalog size (repeatable); default 1000 and 10000")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    for n in args.entries or [1000, 10000]:
        out = subprocess.run([sys.executable, "-c", CHILD, str(n), str(args.seed)], capture_output=True, text=True)
        if out.returncode:
            sys.exit(out.stderr)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['entries']:>6} entries: graph {r['graph_s']:.2f} s (of which TF-IDF {r['tfidf_s']:.2f} s), "
            f"scoring {r['score_s']:.2f} s, total {r['graph_s'] + r['score_s']:.2f} s wall, "
            f"{r['graph_cpu'] + r['score_cpu']:.2f} s CPU; "
            f"{r['pairs']} pairs ({r['curated']} curated), {r['candidate_pairs']} candidate pairs rescored"
            f"{' (all pairs, exact)' if r['exact'] else ''}; vocabulary {r['vocabulary']:,}, {r['nonzeros']:,} non-zeros; "
            f"peak RSS {r['peak_rss_mb']:.0f} MB ({r['peak_rss_mb'] - r['rss_before_mb']:+.0f} MB over the catalog in memory)"
        )
        for label, e in r["edits"].items():
            print(f"{'':>8} one-entry edit ({label.replace('_', ' ')}): updated {e['update_s']:.2f} s wall, "
                  f"{e['update_cpu']:.2f} s CPU; computed afresh {e['full_s']:.2f} s wall, {e['full_cpu']:.2f} s CPU; "
                  f"equal: {e['equal']}")


if __name__ == "__main__":
    main()
