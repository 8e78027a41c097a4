// Compare any two entries, on the comparison index: /compare/?a=<slug>&b=<slug>.
// The rows, the words of the cells and of the verdict, and the tie margin are the build's own
// (render/comparison.py and catalog/verdict.py, in the page's #compare-rules); the numbers come
// from catalog.json as the pages show them. The claims below follow catalog/verdict.py step by
// step, and a test runs both on the same scores. Without JavaScript this section is hidden and
// the page lists the comparison pages, as it always did.
(function (root, factory) {
  "use strict";
  var api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;  // for the tests, under node
  if (typeof document !== "undefined") {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { api.start(document, root); });
    else api.start(document, root);
  }
}(this, function () {
  "use strict";

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      if (!Object.prototype.hasOwnProperty.call(values, name)) throw new Error("no value for " + whole + " in: " + template);
      return String(values[name]);
    });
  }

  // -- one side of a comparison, from its catalog.json entry --

  function side(entry, rules) {
    var kind = rules.kinds[entry.kind];
    if (!kind) throw new Error("unknown kind: " + entry.kind);
    var shown = { rank: entry.shown.unfragile_rank };
    rules.subscores.forEach(function (name) { shown[name] = entry.shown[name]; });
    return {
      slug: entry.slug, title: entry.name, kind: entry.kind, shown: shown,
      applies: kind.applies, scope: kind.scope, basisTexts: kind.basis, kindLabel: kind.label,
      pricing: rules.pricing[entry.pricing.model], capabilities: entry.capability_count,
      timesMatched: entry.compared_with.length, comparedWith: entry.compared_with
    };
  }

  function appliesTo(s, measure) { return s.applies.indexOf(measure) >= 0; }
  function isNone(value) { return value === null || value === undefined; }

  function basis(s, subscores) {
    return subscores.filter(function (name) { return !isNone(s.shown[name]); }).length;
  }

  // -- the verdict: catalog/verdict.py's claims, then its sentences --

  // side: 0 the first side, 1 the second (two sides may share a title), null both
  function claim(kind, measure, subject, first, second, side) {
    return { kind: kind, measure: measure, subject: subject, first: first, second: second, side: side === undefined ? null : side };
  }

  function sidesWithout(kind, measure, titles, flags) {
    if (flags[0] && flags[1]) return [claim(kind, measure, null, null, null)];
    var out = [];
    titles.forEach(function (title, side) { if (flags[side]) out.push(claim(kind, measure, title, null, null, side)); });
    return out;
  }

  function claims(first, second, tieMargin, measures, subscores) {
    var out = [];
    var titles = [first.title, second.title];
    measures.forEach(function (measure) {
      var a = first.shown[measure], b = second.shown[measure];
      var both = measure === "rank" || (appliesTo(first, measure) && appliesTo(second, measure));
      if (!both) {
        var applyA = appliesTo(first, measure), applyB = appliesTo(second, measure);
        out = out.concat(sidesWithout("inapplicable", measure, titles, [!applyA, !applyB]));
        out = out.concat(sidesWithout("missing", measure, titles, [applyA && isNone(a), applyB && isNone(b)]));
      } else if (isNone(a) || isNone(b)) {
        var missingSide = isNone(a) && isNone(b) ? null : (isNone(a) ? 0 : 1);
        out.push(claim("missing", measure, missingSide === null ? null : titles[missingSide], a, b, missingSide));
      } else if (a === b) {
        out.push(claim("tie", measure, null, a, b));
      } else if (Math.abs(a - b) <= tieMargin) {
        out.push(claim("close", measure, null, a, b));
      } else {
        var leader = a > b ? 0 : 1;
        out.push(claim("lead", measure, titles[leader], a, b, leader));
      }
    });
    if (!isNone(first.shown.rank) && !isNone(second.shown.rank)) {
      [first, second].forEach(function (s, side) {
        var count = basis(s, subscores);
        if (count < subscores.length) out.push(claim("basis", "rank", titles[side], count, s.applies.length, side));
      });
    }
    return out;
  }

  function verdict(first, second, rules) {
    var v = rules.verdict, p = v.phrases;
    var say = function (phrase, values) { return fill(p[phrase], values || {}); };
    var label = function (measure) { return v.labels[measure]; };
    var join = function (items) {
      return items.length === 1 ? items[0] : items.slice(0, -1).join(p.list_comma) + p.list_and + items[items.length - 1];
    };
    var unique = function (items) { return items.filter(function (x, i) { return items.indexOf(x) === i; }); };
    var inapplicable = function (phrase, title, measures, scopes) {
      return say(phrase, { title: title, labels: join(measures.map(label)), verb: measures.length === 1 ? p.verb_one : p.verb_many,
                           scopes: unique(scopes).join(p.scopes_or) });
    };
    var found = claims(first, second, v.tie_margin, v.measures, rules.subscores);
    var sides = [first, second];
    var titles = [first.title, second.title];
    var sentences = [];
    var overall = found[0];
    if (overall.kind === "missing") {
      var who = overall.subject === null ? say("either", { first: first.title, second: second.title }) : overall.subject;
      sentences.push(say("overall_missing", { who: who }));
    } else if (overall.kind === "tie") {
      sentences.push(say("overall_tie", { first: first.title, second: second.title, score: overall.first }));
    } else if (overall.kind === "close") {
      sentences.push(say("overall_close", { first: first.title, second: second.title, points: v.points, a: overall.first, b: overall.second }));
    } else {
      sentences.push(say("overall_lead", { leader: overall.subject, high: Math.max(overall.first, overall.second),
                                           low: Math.min(overall.first, overall.second) }));
    }
    var subs = found.slice(1).filter(function (c) { return c.kind !== "basis"; });
    var of = function (kind, side) {
      return subs.filter(function (c) { return c.kind === kind && (side === undefined || c.side === side); });
    };
    titles.forEach(function (title, side) {
      var leads = of("lead", side);
      if (leads.length) {
        var ownFirst = side === 0;
        sentences.push(say("leads", { title: title, items: join(leads.map(function (c) {
          return say("lead_item", { label: label(c.measure), own: ownFirst ? c.first : c.second, other: ownFirst ? c.second : c.first });
        })) }));
      }
    });
    var ties = of("tie");
    if (ties.length) sentences.push(say("ties", { items: join(ties.map(function (c) { return say("tie_item", { label: label(c.measure), score: c.first }); })) }));
    var close = of("close");
    if (close.length) {
      sentences.push(say("close", { points: v.points, items: join(close.map(function (c) {
        return say("close_item", { label: label(c.measure), a: c.first, b: c.second });
      })) }));
    }
    titles.forEach(function (title, side) {
      var missing = of("missing", side);
      if (missing.length) sentences.push(say("missing", { title: title, labels: join(missing.map(function (c) { return label(c.measure); })) }));
    });
    var neither = of("missing", null);
    if (neither.length) sentences.push(say("neither_missing", { labels: join(neither.map(function (c) { return label(c.measure); })) }));
    var measuresOf = function (list) { return list.map(function (c) { return c.measure; }); };
    titles.forEach(function (title, side) {
      var own = measuresOf(of("inapplicable", side));
      if (own.length) sentences.push(inapplicable("inapplicable", title, own, [sides[side].scope]));
    });
    var neitherApplies = measuresOf(of("inapplicable", null));
    if (neitherApplies.length) sentences.push(inapplicable("neither_inapplicable", null, neitherApplies, [first.scope, second.scope]));
    found.forEach(function (c) {
      if (c.kind !== "basis") return;
      var s = sides[c.side];
      sentences.push(say("basis", { title: c.subject, basis: s.basisTexts[c.first] }));
    });
    return sentences.join(p.sentence_gap);
  }

  // -- the table's cells: partials/score_rows.html, row by row --

  // a cell is a list of parts: text, or {tag, cls, text} for the <strong> and <span> the page uses
  function cells(s, rules) {
    var t = rules.cells;
    var missing = { tag: "span", cls: "missing", text: t.missing };
    return rules.rows.map(function (row) {
      var parts;
      if (row.cell === "kind") parts = [s.kindLabel];
      else if (row.cell === "rank") {
        if (isNone(s.shown.rank)) parts = [missing];
        else {
          parts = [{ tag: "strong", text: fill(t.rank, { score: s.shown.rank }) }];
          var count = basis(s, rules.subscores);
          if (count < rules.subscores.length) parts.push(" ", { tag: "span", cls: "muted", text: fill(t.basis, { basis: s.basisTexts[count] }) });
        }
      } else if (row.cell === "subscore") {
        var value = s.shown[row.measure];
        if (!appliesTo(s, row.measure)) parts = [{ tag: "span", cls: "muted", text: fill(t.inapplicable, { scope: s.scope }) }];
        else if (isNone(value)) parts = [missing];
        else parts = [String(value)];
      } else if (row.cell === "pricing") parts = [s.pricing];
      else if (row.cell === "capabilities") parts = [fill(t.capabilities, { count: s.capabilities })];
      else if (row.cell === "times_matched") parts = [String(s.timesMatched)];
      else throw new Error("unknown row: " + row.cell);
      return { numeric: Boolean(row.numeric), parts: parts };
    });
  }

  function cellText(cell) {
    return cell.parts.map(function (part) { return typeof part === "string" ? part : part.text; }).join("");
  }

  // -- the page --

  function displayNames(entries, rules) {
    // the name a picker shows: the title, or where two share it, with the type (then the slug)
    var count = function (list) {
      var seen = {};
      list.forEach(function (name) { var key = name.toLowerCase(); seen[key] = (seen[key] || 0) + 1; });
      return seen;
    };
    var titles = count(entries.map(function (e) { return e.name; }));
    var typed = entries.map(function (e) {
      return titles[e.name.toLowerCase()] > 1 ? e.name + " (" + rules.kinds[e.kind].label + ")" : e.name;
    });
    var typedCount = count(typed);
    return typed.map(function (name, i) { return typedCount[name.toLowerCase()] > 1 ? entries[i].name + " (" + entries[i].slug + ")" : name; });
  }

  function start(doc, win) {
    var box = doc.querySelector("[data-compare-any]");
    if (!box) return;
    var rules = JSON.parse(doc.getElementById("compare-rules").textContent);
    var inputs = [doc.getElementById("compare-a"), doc.getElementById("compare-b")];
    var list = doc.getElementById("compare-names");
    var status = box.querySelector(".compare-status");
    var table = box.querySelector(".compare-result");
    var verdictText = box.querySelector(".compare-verdict p");
    var pageNote = box.querySelector(".compare-page");
    var blank = {
      heads: Array.prototype.map.call(table.tHead.rows[0].cells, function (th) { return th.textContent; }),
      cell: table.tBodies[0].rows[0].cells[1].textContent,
      verdict: verdictText.textContent,
      status: status.textContent
    };
    var bySlug = {}, byName = {}, nameOf = {};

    function link(href, text) {
      var a = doc.createElement("a");
      a.href = href;
      a.textContent = text;
      return a;
    }
    function entryUrl(s) { return fill(rules.urls.entry, { kind: s.kind, slug: s.slug }); }
    function setCell(td, cell) {
      td.textContent = "";
      cell.parts.forEach(function (part) {
        if (typeof part === "string") { td.appendChild(doc.createTextNode(part)); return; }
        var el = doc.createElement(part.tag);
        if (part.cls) el.className = part.cls;
        el.textContent = part.text;
        td.appendChild(el);
      });
    }
    function clear(message) {
      var heads = table.tHead.rows[0].cells;
      for (var i = 1; i < heads.length; i++) heads[i].textContent = blank.heads[i];
      Array.prototype.forEach.call(table.tBodies[0].rows, function (tr) {
        for (var j = 1; j < tr.cells.length; j++) tr.cells[j].textContent = blank.cell;
      });
      verdictText.textContent = blank.verdict;
      pageNote.textContent = "";
      status.textContent = message;
    }
    function show(first, second) {
      var heads = table.tHead.rows[0].cells;
      [first, second].forEach(function (s, column) {
        heads[column + 1].textContent = "";
        heads[column + 1].appendChild(link(entryUrl(s), s.title));
        cells(s, rules).forEach(function (cell, row) { setCell(table.tBodies[0].rows[row].cells[column + 1], cell); });
      });
      verdictText.textContent = verdict(first, second, rules);
      pageNote.textContent = "";
      if (first.comparedWith.indexOf(second.slug) >= 0) {
        var slugs = [first.slug, second.slug].sort();
        pageNote.appendChild(doc.createTextNode("This pair has its own page, with both sides' capabilities: "));
        pageNote.appendChild(link(fill(rules.urls.pair, { a: slugs[0], b: slugs[1] }), first.title + " vs " + second.title));
        pageNote.appendChild(doc.createTextNode("."));
      } else {
        pageNote.textContent = "The match graph did not pair these two, so they have no comparison page of their own.";
      }
      status.textContent = first.title + " vs " + second.title + ": side by side.";
    }
    function resolve(text) {
      var key = text.trim().toLowerCase();
      return byName[key] || bySlug[text.trim()] || null;
    }
    function keep(picked) {
      var params = new win.URLSearchParams(win.location.search);
      ["a", "b"].forEach(function (name, i) {
        if (picked[i]) params.set(name, picked[i].slug); else params.delete(name);
      });
      var query = params.toString();
      win.history.replaceState(null, "", win.location.pathname + (query ? "?" + query : "") + win.location.hash);
    }
    // committed: the reader left the input or pressed Enter (while typing, a name not yet whole is no error)
    function update(committed) {
      var picked = inputs.map(function (input) { return resolve(input.value); });
      keep(picked);
      if (!picked[0] || !picked[1]) {
        var typed = inputs.filter(function (input, i) { return input.value.trim() && !picked[i]; });
        clear(typed.length && committed ? "No entry is named “" + typed[0].value.trim() + "”: pick one from the list." : blank.status);
      } else if (picked[0].slug === picked[1].slug) {
        clear("Pick two different entries.");
      } else {
        show(side(picked[0], rules), side(picked[1], rules));
      }
    }

    box.querySelector("form").addEventListener("submit", function (event) { event.preventDefault(); update(true); });
    status.textContent = "Loading the catalog…";
    win.fetch(rules.urls.catalog).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (catalog) {
      var entries = catalog.entries.filter(function (e) { return rules.kinds[e.kind]; });
      var names = displayNames(entries, rules);
      var order = entries.map(function (e, i) { return i; }).sort(function (x, y) {
        var a = names[x].toLowerCase(), b = names[y].toLowerCase();
        return a < b ? -1 : a > b ? 1 : 0;
      });
      var fragment = doc.createDocumentFragment();
      order.forEach(function (i) {
        var e = entries[i];
        bySlug[e.slug] = e;
        byName[names[i].toLowerCase()] = e;
        nameOf[e.slug] = names[i];
        var option = doc.createElement("option");
        option.value = names[i];
        option.textContent = rules.kinds[e.kind].label;
        fragment.appendChild(option);
      });
      list.appendChild(fragment);
      var params = new win.URLSearchParams(win.location.search);
      ["a", "b"].forEach(function (name, i) {
        var found = params.get(name) ? resolve(params.get(name)) : null;
        inputs[i].value = found ? nameOf[found.slug] : (params.get(name) || "");
      });
      inputs.forEach(function (input) {
        input.addEventListener("input", function () { update(false); });
        input.addEventListener("change", function () { update(true); });
      });
      update(true);
    }).catch(function () {
      status.textContent = "The catalog could not be loaded: the comparison pages below still work.";
    });
  }

  return { fill: fill, side: side, claims: claims, verdict: verdict, cells: cells, cellText: cellText, displayNames: displayNames, start: start };
}));
