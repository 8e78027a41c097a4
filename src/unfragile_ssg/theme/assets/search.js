// The /search/ page: Pagefind's JavaScript API over the index built in the post stage.
// Everything is loaded from this site (no other host), under its base path.
const root = document.querySelector("[data-search]");
const form = root.querySelector("form");
const input = form.querySelector("input[type=search]");
const selects = [...form.querySelectorAll("select")];
const status = root.querySelector(".search-status");
const list = root.querySelector(".search-results");
const SHOWN = 20;
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
  const bits = [data.meta.kind];
  if (data.meta.rank) bits.push("UnfragileRank " + data.meta.rank + "/100");
  meta.textContent = bits.filter(Boolean).join(" · ");
  const excerpt = document.createElement("p");
  excerpt.className = "search-excerpt";
  excerpt.innerHTML = data.excerpt; // Pagefind escapes the text and adds only <mark>
  li.append(heading, meta, excerpt);
  return li;
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
    status.textContent = "";
    return;
  }
  const results = await find(term || null, filters, sortBy);
  if (ticket !== latest || !results) return; // a newer search has started
  const found = await Promise.all(results.slice(0, SHOWN).map((r) => r.data()));
  if (ticket !== latest) return;
  list.replaceChildren(...found.map(item));
  const count = results.length;
  status.textContent = count === 0 ? "No results." : count > SHOWN ? `${count} results, the first ${SHOWN} shown.` : `${count} result${count === 1 ? "" : "s"}.`;
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
    status.textContent = "The search index is not available on this copy of the site. Browse by kind or task below.";
    return;
  }
  form.hidden = false;
  form.addEventListener("submit", (event) => { event.preventDefault(); run(); });
  input.addEventListener("input", soon);
  for (const select of selects) select.addEventListener("change", run);
  readState();
  if (input.value || selects.some((s) => s.value)) run();
}

start();
