"""The Hugo site that makes the pages our build makes, from the same synthetic catalog.

Hugo reads the very entry files of ``bench/synthetic.py`` (its content folder is mounted on
them), so one edit changes both sites. It makes:

- an entry page per entry: title, summary, facts, signals, the overview and every capability
  (description, what is unique, against alternatives, limitations) rendered from markdown, the
  entries it is compared with;
- a comparison page per pair of the match graph (our build's own pairs, about three per entry),
  through a content adapter (``content/compare/_content.gotmpl``): both sides' facts and
  capabilities, rendered from markdown;
- the list pages, 100 entries a page as ours: home, one list per kind (``/models/``,
  ``/prompts/``), per task (``/tasks/<task>/``), per pricing, the comparison index; the sitemap
  and the home page's feed.

It does not make what only our build makes: markdown twins, passports and the catalog API,
share cards, the methodology and search pages, the link check. Those are in our figures.
"""

from __future__ import annotations

import json
from pathlib import Path

CONFIG = """\
baseURL = "https://bench.example/"
title = "Synthetic"
disableKinds = []
enableRobotsTXT = true

[outputs]
home = ["html", "rss"]
section = ["html"]
taxonomy = ["html"]
term = ["html"]

[pagination]
pagerSize = 100

[taxonomies]
task = "tasks"
pricing = "pricing"

[module]
[[module.mounts]]
source = "{content}"
target = "content"
[[module.mounts]]
source = "adapter"
target = "content"
[[module.mounts]]
source = "assets"
target = "assets"
"""

BASEOF = """\
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ .Title }} · {{ site.Title }}</title>
<meta name="description" content="{{ with .Params.summary }}{{ . }}{{ else }}{{ site.Title }}{{ end }}">
<link rel="canonical" href="{{ .Permalink }}">
</head>
<body>
<header><a href="{{ "/" | relURL }}">{{ site.Title }}</a>
<nav><a href="{{ "/models/" | relURL }}">Models</a> <a href="{{ "/prompts/" | relURL }}">Prompts</a>
<a href="{{ "/tasks/" | relURL }}">Tasks</a> <a href="{{ "/compare/" | relURL }}">Comparisons</a></nav></header>
<main>{{ block "main" . }}{{ end }}</main>
<footer><p>Built by Hugo from the synthetic catalog.</p></footer>
</body>
</html>
"""

FACTS = """\
<table class="facts">
<tr><th scope="row">Publisher</th><td>{{ .Params.publisher }}</td></tr>
<tr><th scope="row">License</th><td>{{ .Params.license }}</td></tr>
<tr><th scope="row">Pricing</th><td>{{ .Params.pricing }}</td></tr>
{{ range $name, $signal := .Params.signals }}<tr><th scope="row">{{ $name }}</th><td>{{ $signal.value }}
  (<a href="{{ $signal.source }}">source</a>{{ with $signal.as_of }}, as of {{ . }}{{ end }})</td></tr>
{{ end }}
<tr><th scope="row">Tasks</th><td>{{ range .GetTerms "tasks" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</td></tr>
</table>
"""

CAPABILITIES = """\
<section class="capabilities"><h2>Capabilities</h2>
{{ range .Params.capabilities }}
<article class="capability">
  <h3>{{ .name }}</h3>
  {{ .description | markdownify }}
  <h4>Unique</h4>{{ .unique | markdownify }}
  <h4>Against alternatives</h4>{{ .vs_alternatives | markdownify }}
  {{ with .limitations }}<h4>Limitations</h4><ul>{{ range . }}<li>{{ . | markdownify }}</li>{{ end }}</ul>{{ end }}
</article>
{{ end }}
</section>
"""

ENTRY = """\
{{ define "main" }}
<article class="entry">
<h1>{{ .Title }}</h1>
<p class="lead">{{ .Params.summary }}</p>
{{ partial "facts.html" . }}
<section class="overview">{{ .Content }}</section>
{{ partial "capabilities.html" . }}
{{ $partners := index (resources.Get "partners.json" | transform.Unmarshal) .File.ContentBaseName }}
{{ with $partners }}<section><h2>Compared with</h2><ul>
{{ range . }}<li><a href="{{ (printf "/compare/%s/" .page) | relURL }}">{{ .title }}</a></li>{{ end }}
</ul></section>{{ end }}
</article>
{{ end }}
"""

COMPARE = """\
{{ define "main" }}
{{ $a := site.GetPage .Params.a }}{{ $b := site.GetPage .Params.b }}
<article class="comparison">
<h1>{{ $a.Title }} vs {{ $b.Title }}</h1>
<p class="lead">Side-by-side comparison to help you choose.</p>
{{ .Content }}
<div class="sides">
{{ range slice $a $b }}
<section>
  <h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
  <p>{{ .Params.summary }}</p>
  {{ partial "facts.html" . }}
  {{ partial "capabilities.html" . }}
</section>
{{ end }}
</div>
</article>
{{ end }}
"""

LIST = """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
<ol>
{{ range .Paginator.Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ with .Params.summary }}<span>{{ . }}</span>{{ end }}</li>
{{ end }}
</ol>
{{ with .Paginator }}<nav class="pages">{{ if .HasPrev }}<a href="{{ .Prev.URL }}">Previous</a>{{ end }}
Page {{ .PageNumber }} of {{ .TotalPages }}{{ if .HasNext }} <a href="{{ .Next.URL }}">Next</a>{{ end }}</nav>{{ end }}
{{ end }}
"""

HOME = """\
{{ define "main" }}
<h1>{{ site.Title }}</h1>
{{ $entries := where site.RegularPages "Section" "in" (slice "models" "prompts") }}
<ol>
{{ range first 100 (sort $entries "Params.signals.downloads.value" "desc") }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> <span>{{ .Params.summary }}</span></li>
{{ end }}
</ol>
{{ end }}
"""

TAXONOMY = """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
<ul>{{ range .Data.Terms.ByCount }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>{{ end }}</ul>
{{ end }}
"""

NOT_FOUND = """\
{{ define "main" }}<h1>Not found</h1><p><a href="{{ "/" | relURL }}">Home</a></p>{{ end }}
"""

ADAPTER = """\
{{ with resources.Get "pairs.json" }}
{{ range transform.Unmarshal . }}
  {{ $content := dict "mediaType" "text/markdown" "value" (printf "Why these two: **%s**." .reasons) }}
  {{ $params := dict "a" (printf "/%s/%s" .akind .a) "b" (printf "/%s/%s" .bkind .b) }}
  {{ $.AddPage (dict "path" .page "title" (printf "%s vs %s" .a .b) "kind" "page" "content" $content "params" $params) }}
{{ end }}
{{ end }}
"""


def write_hugo_site(folder: Path, content: Path, pairs: list[dict]) -> Path:
    """The Hugo project in ``folder``, its content the entry files under ``content``, and one
    comparison page per pair (each a dict of ``a``, ``akind``, ``b``, ``bkind``, ``reasons``)."""
    files = {
        "hugo.toml": CONFIG.format(content=content.resolve().as_posix()),
        "layouts/baseof.html": BASEOF,
        "layouts/_partials/facts.html": FACTS,
        "layouts/_partials/capabilities.html": CAPABILITIES,
        "layouts/page.html": ENTRY,
        "layouts/compare/page.html": COMPARE,
        "layouts/section.html": LIST,
        "layouts/term.html": LIST,
        "layouts/taxonomy.html": TAXONOMY,
        "layouts/home.html": HOME,
        "layouts/404.html": NOT_FOUND,
        "adapter/compare/_content.gotmpl": ADAPTER,
        "adapter/compare/_index.md": "---\ntitle: Comparisons\n---\n",
    }
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    partners: dict[str, list[dict]] = {}
    for pair in pairs:
        pair["page"] = f"{pair['a']}-vs-{pair['b']}"
        for one, other in ((pair["a"], pair["b"]), (pair["b"], pair["a"])):
            partners.setdefault(one, []).append({"page": pair["page"], "title": other})
    (folder / "assets").mkdir(exist_ok=True)
    (folder / "assets" / "pairs.json").write_text(json.dumps(pairs), "utf-8")
    (folder / "assets" / "partners.json").write_text(json.dumps(partners, sort_keys=True), "utf-8")
    return folder
