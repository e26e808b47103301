/* radgraph page: vanilla JavaScript, no frameworks and no external resources.
 * Data from the server is only ever written with textContent (through node()), never as HTML. */
"use strict";

(() => {
  const byId = (id) => document.getElementById(id);

  /** Build an element; children that are strings become text nodes. */
  function node(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") el.className = value;
      else el.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === undefined || child === null) continue;
      el.append(child instanceof Node ? child : String(child));
    }
    return el;
  }

  /** Fetch and decode; throw an Error carrying the server's one-line message on failure. */
  async function request(url, options = {}) {
    const response = await fetch(url, options);
    const type = response.headers.get("content-type") || "";
    const data = type.includes("json") ? await response.json() : await response.text();
    if (!response.ok) {
      const message = data && typeof data === "object" && data.error ? data.error : `HTTP ${response.status}`;
      throw new Error(message);
    }
    return { data, response };
  }

  function setStatus(el, text, isError = false) {
    el.textContent = text;
    el.classList.toggle("error", isError);
  }

  function seconds(t0) {
    return `${((performance.now() - t0) / 1000).toFixed(2)} s`;
  }

  function plural(n, word) {
    return `${n} ${word}${n === 1 ? "" : "s"}`;
  }

  /** A token safe to use inside a class name. */
  function token(value) {
    return String(value || "").toLowerCase().replace(/[^a-z0-9_-]/g, "");
  }

  // ---- results tables ----------------------------------------------------------------------

  /** Render a table; each cell is {text, title, iri} or a plain string/null. */
  function renderTable(container, variables, rows, captionText) {
    const table = node("table");
    table.append(node("caption", {}, captionText));
    const head = node("tr");
    for (const v of variables) head.append(node("th", { scope: "col" }, v));
    table.append(node("thead", {}, head));
    const body = node("tbody");
    for (const row of rows) {
      const tr = node("tr");
      for (const cell of row) {
        const c = cell && typeof cell === "object" ? cell : { text: cell === null ? "" : String(cell) };
        tr.append(node("td", { class: c.iri ? "iri" : undefined, title: c.title }, c.text));
      }
      body.append(tr);
    }
    table.append(body);
    container.replaceChildren(table);
  }

  function prefixesOf(text) {
    const found = [];
    const re = /PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>\s]*)>/gi;
    let m;
    while ((m = re.exec(text)) !== null) found.push([m[1] || "", m[2]]);
    return found.sort((a, b) => b[1].length - a[1].length);
  }

  function compactIri(iri, prefixes) {
    for (const [prefix, ns] of prefixes) {
      if (ns && iri.startsWith(ns) && iri.length > ns.length) {
        const local = iri.slice(ns.length);
        if (/^[\w.\-/]+$/.test(local)) return `${prefix}:${local}`;
      }
    }
    return iri;
  }

  function sparqlCell(term, prefixes) {
    if (!term) return { text: "" };
    if (term.type === "uri") return { text: compactIri(term.value, prefixes), title: term.value, iri: true };
    if (term.type === "bnode") return { text: `_:${term.value}` };
    const tag = term["xml:lang"] ? `@${term["xml:lang"]}` : "";
    return { text: term.value + tag, title: term.datatype || undefined };
  }

  // ---- SPARQL panel ------------------------------------------------------------------------

  const sparql = {
    queries: new Map(),
    current: null,
    template: "",
    bound: "",
  };

  const queryBox = byId("query-text");
  const querySelect = byId("named-query");
  const queryStatus = byId("query-status");
  const queryResults = byId("query-results");

  function usesNamedQuery() {
    return sparql.current !== null && (queryBox.value === sparql.template || queryBox.value === sparql.bound);
  }

  function updateMode() {
    let text = "Runs as plain SPARQL on /sparql, over the union of all graphs.";
    if (sparql.current !== null) {
      text = usesNamedQuery()
        ? "Runs as the named query with the parameters above."
        : "Edited: runs as plain SPARQL; the parameters above no longer apply.";
    }
    byId("query-mode").textContent = text;
  }

  function paramInput(param) {
    const id = `param-${param.name}`;
    const wrapper = node("div", { class: "field" });
    const kind = param.required ? "required" : "optional";
    wrapper.append(node("label", { for: id }, `${param.name} (${param.type}, ${kind})`));
    let input;
    if (param.choices) {
      input = node("select", { id, name: param.name, required: param.required });
      input.append(node("option", { value: "" }, param.required ? "Choose…" : "(any)"));
      for (const choice of param.choices) input.append(node("option", { value: choice }, choice));
    } else {
      const type = param.type === "int" ? "number" : "text";
      const placeholder = param.type === "concept" ? "label, synonym or CURIE" : undefined;
      input = node("input", { id, name: param.name, type, required: param.required, placeholder });
    }
    input.dataset.param = param.name;
    wrapper.append(input);
    return wrapper;
  }

  function selectQuery(name) {
    const fields = byId("param-fields");
    fields.replaceChildren();
    const q = sparql.queries.get(name) || null;
    sparql.current = q;
    sparql.bound = "";
    byId("query-description").textContent = q ? q.description : "";
    byId("query-params").hidden = !(q && q.params.length);
    if (q) {
      for (const p of q.params) fields.append(paramInput(p));
      sparql.template = q.text;
      queryBox.value = q.text;
    } else {
      sparql.template = "";
    }
    updateMode();
  }

  async function loadQueries() {
    try {
      const { data } = await request("/api/queries");
      for (const q of data) {
        sparql.queries.set(q.name, q);
        querySelect.append(node("option", { value: q.name, title: q.description }, q.name));
      }
      updateMode();
    } catch (err) {
      setStatus(queryStatus, `Could not load the named queries: ${err.message}`, true);
    }
  }

  async function runNamed(q) {
    const params = new URLSearchParams();
    for (const input of byId("param-fields").querySelectorAll("[data-param]")) {
      if (input.value.trim()) params.set(input.dataset.param, input.value.trim());
    }
    const url = `/api/queries/${encodeURIComponent(q.name)}?${params}`;
    const { data } = await request(url);
    queryBox.value = data.query;
    sparql.bound = data.query;
    updateMode();
    if (data.boolean !== undefined) {
      queryResults.replaceChildren(node("p", { class: "boolean" }, `Answer: ${data.boolean}`));
      return "1 answer";
    }
    const note = data.truncated ? " (cut at the server's limit)" : "";
    renderTable(queryResults, data.variables, data.rows, `${plural(data.rows.length, "row")}${note}`);
    return plural(data.rows.length, "row") + note;
  }

  async function runRaw(text) {
    const { data, response } = await request("/sparql", {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Accept: "application/sparql-results+json, text/turtle;q=0.9",
      },
      body: new URLSearchParams({ query: text }),
    });
    const note = response.headers.get("X-Radgraph-Truncated") === "true" ? " (cut at the server's limit)" : "";
    if (typeof data === "string") {
      queryResults.replaceChildren(node("pre", { class: "graph" }, data));
      return `graph${note}`;
    }
    if (data.boolean !== undefined) {
      queryResults.replaceChildren(node("p", { class: "boolean" }, `Answer: ${data.boolean}`));
      return "1 answer";
    }
    const prefixes = prefixesOf(text);
    const rows = data.results.bindings.map((b) => data.head.vars.map((v) => sparqlCell(b[v], prefixes)));
    renderTable(queryResults, data.head.vars, rows, `${plural(rows.length, "row")}${note}`);
    return plural(rows.length, "row") + note;
  }

  async function onRunQuery(event) {
    event.preventDefault();
    const button = byId("run-query");
    const text = queryBox.value;
    if (!text.trim()) {
      setStatus(queryStatus, "Write a query or choose a named query.", true);
      return;
    }
    button.disabled = true;
    setStatus(queryStatus, "Running…");
    const t0 = performance.now();
    try {
      const what = usesNamedQuery() ? await runNamed(sparql.current) : await runRaw(text);
      setStatus(queryStatus, `${what} in ${seconds(t0)}`);
    } catch (err) {
      queryResults.replaceChildren();
      setStatus(queryStatus, err.message, true);
    } finally {
      button.disabled = false;
    }
  }

  // ---- differential diagnosis --------------------------------------------------------------

  const ddxStatus = byId("ddx-status");
  const ddxResults = byId("ddx-results");

  function lines(id) {
    return byId(id).value.split("\n").map((s) => s.trim()).filter(Boolean);
  }

  function signed(x) {
    return (x >= 0 ? "+" : "") + x.toFixed(2);
  }

  function evidenceItem(e) {
    if (e.case) {
      const open = node("button", { type: "button", class: "link" }, `case ${e.case}`);
      open.addEventListener("click", () => showCase(e.case, true));
      return node("li", {}, open, `: “${e.text || ""}”`);
    }
    const text = e.text ? `: “${e.text}”` : "";
    return node("li", {}, `${e.kind}: ${e.source}${text}`);
  }

  function contributionList(items) {
    const list = node("ul", { class: "contributions" });
    for (const c of items) {
      const weight = node("span", { class: `weight ${c.weight >= 0 ? "positive" : "negative"}` }, signed(c.weight));
      const li = node("li", { class: "contribution" }, weight, " ", node("strong", {}, c.label), ` (${c.via})`);
      if (c.evidence.length) {
        const ev = node("ul", { class: "evidence", "aria-label": "evidence" });
        for (const e of c.evidence) ev.append(evidenceItem(e));
        li.append(ev);
      }
      list.append(li);
    }
    return list;
  }

  const KIND_NOTES = {
    finding: "An imaging finding named as a diagnosis: look for its cause.",
    class: "A class of diseases: more specific kinds are listed too.",
    known: "Known from the history: do the findings need another cause?",
  };

  function renderCandidates(candidates) {
    ddxResults.replaceChildren();
    for (const c of candidates) {
      const li = node("li", { class: "candidate" });
      li.append(
        node("h3", {}, node("span", { class: "candidate-rank" }, `${c.rank}. `),
          node("span", { class: "candidate-label" }, c.label), node("code", {}, c.concept)),
        node("p", { class: "candidate-score" }, `score ${signed(c.score)} · probability ${c.probability.toFixed(2)} `,
          node("meter", { min: "0", max: "1", value: String(c.probability), "aria-label": "probability" })),
      );
      if (KIND_NOTES[c.kind]) li.append(node("p", { class: "hint candidate-kind" }, KIND_NOTES[c.kind]));
      if (c.supporting.length) li.append(node("h4", {}, "Supporting"), contributionList(c.supporting));
      if (c.against.length) li.append(node("h4", {}, "Against"), contributionList(c.against));
      if (c.look_for.length) {
        li.append(node("p", { class: "hint" }, `Look for: ${c.look_for.map((x) => x.label).join(", ")}`));
      }
      ddxResults.append(li);
    }
  }

  async function onRunDdx(event) {
    event.preventDefault();
    const button = byId("run-ddx");
    const body = {
      findings: lines("ddx-findings"),
      history: lines("ddx-history"),
      text: byId("ddx-text").value,
      top: Number.parseInt(byId("ddx-top").value, 10) || 5,
    };
    button.disabled = true;
    setStatus(ddxStatus, "Ranking… (the first request builds the language pipeline)");
    const t0 = performance.now();
    try {
      const { data } = await request("/api/ddx", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      });
      renderCandidates(data);
      setStatus(ddxStatus, `${plural(data.length, "candidate")} in ${seconds(t0)}`);
    } catch (err) {
      ddxResults.replaceChildren();
      setStatus(ddxStatus, err.message, true);
    } finally {
      button.disabled = false;
    }
  }

  // ---- cases -------------------------------------------------------------------------------

  const caseSelect = byId("case-select");
  const caseStatus = byId("case-status");
  const cases = new Map();

  async function loadCases() {
    try {
      const { data } = await request("/api/cases");
      for (const c of data) {
        cases.set(c.id, c);
        caseSelect.append(node("option", { value: c.id }, `${c.title} (${c.id})`));
      }
    } catch (err) {
      setStatus(caseStatus, `Could not load the cases: ${err.message}`, true);
    }
  }

  /** Highlight mentions in the text; offsets count code points (Python), not UTF-16 units. */
  function renderCaseText(container, text, mentions) {
    const chars = Array.from(text);
    const sorted = [...mentions].sort((a, b) => a.start - b.start || (b.end - b.start) - (a.end - a.start));
    const parts = [];
    let pos = 0;
    for (const m of sorted) {
      if (m.start < pos || m.end > chars.length) continue; // nested or overlapping: listed in the table
      if (m.start > pos) parts.push(chars.slice(pos, m.start).join(""));
      const classes = ["mention", `assert-${token(m.assertion)}`, `subject-${token(m.subject)}`, `kind-${token(m.kind)}`];
      const title = `${m.label} (${m.concept}): ${m.assertion}, ${m.subject}, ${m.temporality}`;
      const mark = node("mark", { class: classes.join(" "), title }, chars.slice(m.start, m.end).join(""));
      mark.dataset.concept = m.concept;
      mark.dataset.assertion = m.assertion;
      parts.push(mark);
      pos = m.end;
    }
    parts.push(chars.slice(pos).join(""));
    container.replaceChildren(...parts);
  }

  function renderMentions(mentions) {
    const variables = ["text", "concept", "label", "kind", "assertion", "subject", "temporality", "section"];
    const rows = mentions.map((m) => variables.map((v) => m[v]));
    renderTable(byId("case-mentions"), variables, rows, plural(mentions.length, "mention"));
    byId("case-mentions-box").querySelector("summary").textContent = `All mentions (${mentions.length})`;
  }

  async function showCase(id, scroll = false) {
    if (!id) {
      byId("case-view").hidden = true;
      return;
    }
    caseSelect.value = id;
    setStatus(caseStatus, "Loading… (the first case builds the language pipeline)");
    const t0 = performance.now();
    try {
      const { data } = await request(`/api/cases/${encodeURIComponent(id)}`);
      byId("case-title").textContent = data.title || data.id;
      const known = cases.get(data.id);
      const dx = known && known.diagnoses.length ? known.diagnoses.map((d) => d.label).join(", ") : "";
      byId("case-diagnoses").textContent = dx ? `Final diagnosis: ${dx}` : "";
      renderCaseText(byId("case-text"), data.text, data.mentions);
      renderMentions(data.mentions);
      byId("case-view").hidden = false;
      setStatus(caseStatus, `${plural(data.mentions.length, "mention")} in ${seconds(t0)}`);
      if (scroll) byId("cases").scrollIntoView();
    } catch (err) {
      byId("case-view").hidden = true;
      setStatus(caseStatus, err.message, true);
    }
  }

  // ---- wiring ------------------------------------------------------------------------------

  byId("query-form").addEventListener("submit", onRunQuery);
  querySelect.addEventListener("change", () => selectQuery(querySelect.value));
  queryBox.addEventListener("input", updateMode);
  byId("ddx-form").addEventListener("submit", onRunDdx);
  caseSelect.addEventListener("change", () => showCase(caseSelect.value));
  loadQueries();
  loadCases();
})();
