// The /search/ page: Pagefind's JavaScript API over the index built in the post stage.
// Everything is loaded from this site (no other host), under its base path.
const root = document.querySelector("[data-search]");
const form = root.querySelector("form");
const input = form.querySelector("input[type=search]");
const selects = [...form.querySelectorAll("select")];
const status = root.querySelector(".search-status");
const list = root.querySelector(".search-results");
const more = root.querySelector(".search-more");
const moreButton = more.querySelector("button");
const PAGE = 20; // results shown at first, and added by each "Show more results"
// A comparison repeats the names of its two entries, so it outscores them on a name alone;
// when the reader has not asked for comparisons, entries come first unless a comparison
// matches far better (e.g. both names: "blip vs git").
const COMPARISON_WEIGHT = 0.4;
let pagefind = null;
let latest = 0;

function readState() {
  const params = new URLSearchParams(location.search);
  input.value = params.get("q") || "";
  for (const select of selects) {
    const wanted = params.get(select.name) || "";
    if ([...select.options].some((o) => o.value === wanted)) select.value = wanted;
  }
}

function writeState() {
  const params = new URLSearchParams();
  if (input.value.trim()) params.set("q", input.value.trim());
  for (const select of selects) if (select.value) params.set(select.name, select.value);
  const query = params.toString();
  history.replaceState(null, "", location.pathname + (query ? "?" + query : ""));
}

const EXCERPT_WORDS = 30;
const SENTENCE_END = /[.!?:]["'”’)\]]*$/;
const PUNCTUATION = /^[\p{P}]*$/u;

// The [start, end) word ranges of every occurrence of the names in the page's words, a name's
// last word allowed its punctuation ("(base)." ends "BLIP image captioning (base)").
function nameSpans(words, names) {
  const spans = [];
  for (const name of names) {
    const parts = name.split(/\s+/).filter(Boolean);
    if (!parts.length) continue;
    const last = parts.length - 1;
    for (let i = 0; i + parts.length <= words.length; i++) {
      if (parts.every((part, j) => words[i + j] === part
          || (j === last && words[i + j].startsWith(part) && PUNCTUATION.test(words[i + j].slice(part.length))))) {
        spans.push([i, i + parts.length]);
      }
    }
  }
  return spans;
}

// Which words of the page the excerpt shows: around the best hit, from the start of its sentence
// when that is near, to the end of a sentence when that is near, and never through a name.
function excerptRange(words, anchor, spans) {
  let start = Math.max(0, anchor - 8);
  for (let i = anchor; i >= Math.max(0, anchor - 15); i--) {
    if (i === 0 || SENTENCE_END.test(words[i - 1])) { start = i; break; }
  }
  let end = Math.min(words.length, start + EXCERPT_WORDS);
  for (let i = end; i <= Math.min(words.length, end + 8); i++) {
    if (SENTENCE_END.test(words[i - 1])) { end = i; break; }
  }
  for (const [from, to] of spans) {
    if (from < start && start < to) start = from;
    if (from < end && end < to) end = to;
  }
  // a name the page does not know as one (another entry's, a product's): never start just after
  // a capitalised word that runs on ("Florence-2 | base", "BLIP | image captioning")
  for (let back = 0; back < 3 && start > 0 && !SENTENCE_END.test(words[start - 1])
       && /^[\p{Lu}\d]/u.test(words[start - 1]) && !/[,;]$/.test(words[start - 1]); back++) start--;
  return [start, end];
}

// How many words the page's text opens with that only repeat its title ("Florence-2 base." from
// its h1), which the result's heading shows already; 0 when it does not open with its title.
function titleLength(words, title) {
  const parts = title.split(/\s+/).filter(Boolean);
  const same = parts.length && parts.length < words.length && parts.every((part, j) => words[j] === part
    || (j === parts.length - 1 && words[j].startsWith(part) && PUNCTUATION.test(words[j].slice(part.length))));
  return same ? parts.length : 0;
}

// The excerpt as DOM nodes: the page's words as text, hits in <mark>, "…" where a sentence is cut.
function excerptNodes(content, locations, weightedLocations, title, names) {
  const words = content.split(/\s+/).filter(Boolean);
  const skip = titleLength(words, title);
  if (words.length <= skip) return [];
  const best = (weightedLocations || []).filter((w) => w.location >= skip && w.location < words.length)
    .sort((a, b) => b.balanced_score - a.balanced_score || a.location - b.location)[0];
  const anchor = best ? best.location : skip;
  const spans = nameSpans(words, names).filter(([from]) => from >= skip);
  let [start, end] = excerptRange(words, anchor, spans);
  start = Math.max(start, skip);
  const hits = new Set(locations);
  const nodes = [];
  if (start > skip && !SENTENCE_END.test(words[start - 1])) nodes.push("… ");
  for (let i = start; i < end; i++) {
    if (i > start) nodes.push(" ");
    if (hits.has(i)) {
      const mark = document.createElement("mark");
      mark.textContent = words[i];
      nodes.push(mark);
    } else {
      nodes.push(words[i]);
    }
  }
  if (end < words.length && !SENTENCE_END.test(words[end - 1])) nodes.push(" …");
  return nodes;
}

const rankText = (rank) => (rank ? `UnfragileRank ${rank}/100` : "not ranked yet");

function item(data) {
  const li = document.createElement("li");
  const link = document.createElement("a");
  link.href = data.url;
  link.textContent = data.meta.title || data.url;
  const heading = document.createElement("h2");
  heading.className = "search-title";
  heading.append(link);
  const meta = document.createElement("p");
  meta.className = "muted search-meta";
  const sides = [data.meta.side1, data.meta.side2].filter(Boolean);
  const bits = [data.meta.kind];
  if (sides.length) sides.forEach((name, i) => bits.push(`${name}: ${rankText(data.meta[`side${i + 1}_rank`])}`));
  else bits.push(rankText(data.meta.rank));
  meta.textContent = bits.filter(Boolean).join(" · ");
  const excerpt = document.createElement("p");
  excerpt.className = "search-excerpt";
  const names = sides.length ? sides : [data.meta.title || ""];
  excerpt.append(...excerptNodes(data.content || "", data.locations || [], data.weighted_locations, data.meta.title || "", names));
  li.append(heading, meta, excerpt);
  return li;
}

let results = [];
let shown = 0;

function describe() {
  const count = results.length;
  if (count === 0) return "No results.";
  const total = `${count} result${count === 1 ? "" : "s"}`;
  return shown < count ? `${total}, ${shown} shown.` : `${total}.`;
}

// The next page of results, appended: with `focusFirst`, the first new result's link takes the
// focus, so that a reader who pressed "Show more" with the keyboard goes on reading from there.
async function showMore(ticket, focusFirst) {
  const next = results.slice(shown, shown + PAGE);
  const found = await Promise.all(next.map((r) => r.data()));
  if (ticket !== latest) return;
  const items = found.map(item);
  list.append(...items);
  shown += items.length;
  const left = results.length - shown;
  more.hidden = left <= 0;
  moreButton.textContent = `Show ${Math.min(PAGE, left)} more result${Math.min(PAGE, left) === 1 ? "" : "s"}`;
  status.textContent = describe();
  if (focusFirst && items.length) items[0].querySelector("a").focus();
}

async function run() {
  const ticket = ++latest;
  writeState();
  const term = input.value.trim();
  const filters = {};
  for (const select of selects) if (select.dataset.filter && select.value) filters[select.dataset.filter] = select.value;
  const sortBy = form.elements.sort.value;
  if (!term && !Object.keys(filters).length && !sortBy) {
    list.replaceChildren();
    more.hidden = true;
    status.textContent = "";
    return;
  }
  const found = await find(term || null, filters, sortBy);
  if (ticket !== latest || !found) return; // a newer search has started
  results = found;
  shown = 0;
  list.replaceChildren();
  await showMore(ticket, false);
}

async function find(term, filters, sortBy) {
  if (sortBy || filters.kind) {
    const options = { filters };
    if (sortBy) options.sort = { [sortBy]: "desc" };
    const search = await pagefind.search(term, options);
    return search && search.results;
  }
  const [entries, pairs] = await Promise.all([
    pagefind.search(term, { filters: { ...filters, kind: { not: "Comparison" } } }),
    pagefind.search(term, { filters: { ...filters, kind: "Comparison" } }),
  ]);
  if (!entries || !pairs) return null;
  const weight = new Map(pairs.results.map((r) => [r, COMPARISON_WEIGHT]));
  const score = (r) => r.score * (weight.get(r) || 1);
  return [...entries.results, ...pairs.results].sort((a, b) => score(b) - score(a));
}

let timer = 0;
function soon() {
  clearTimeout(timer);
  timer = setTimeout(run, 150);
}

async function start() {
  try {
    pagefind = await import(root.dataset.bundle);
    await pagefind.options({ baseUrl: root.dataset.base });
    await pagefind.init();
  } catch (error) {
    form.hidden = true;
    status.textContent = "The search index is not available on this copy of the site. Browse by kind or task below.";
    return;
  }
  form.classList.add("ready");
  moreButton.addEventListener("click", () => showMore(latest, true));
  form.addEventListener("submit", (event) => { event.preventDefault(); run(); });
  input.addEventListener("input", soon);
  for (const select of selects) select.addEventListener("change", run);
  readState();
  if (input.value || selects.some((s) => s.value)) run();
}

start();
