// redline workbench: the dashboard's script (vanilla JS, served by the package).
// Every piece of text from a scenario or a result is inserted with textContent;
// the only markup inserted is the SVG of the figures, drawn by the server.
"use strict";

const $ = (id) => document.getElementById(id);
const OUTCOMES = ["settlement", "settlement_broken", "ongoing", "military_collapse",
  "great_power_war", "nuclear_use", "regime_crisis"];
const COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
  "#F0E442", "#000000", "#999999", "#882255", "#44AA99", "#117733"];

const state = { library: [], current: null, loadedText: "", validateTimer: null,
  validateSeq: 0, job: null, source: null, runId: null, selected: [] };

// ------------------------------------------------------------------ helpers

async function api(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = { error: text }; }
  if (!response.ok) {
    const error = new Error((data && data.error) || response.statusText);
    error.status = response.status;
    error.data = data;
    throw error;
  }
  return data;
}

function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  return node;
}

function percent(p) {
  if (p === null || p === undefined || Number.isNaN(p)) return "n/a";
  return (100 * p).toFixed(p < 0.001 && p > 0 ? 3 : 1) + "%";
}

function interval(lo, hi) { return "[" + percent(lo) + ", " + percent(hi) + "]"; }

function points(d) { return (d >= 0 ? "+" : "") + (100 * d).toFixed(2) + " pp"; }

function numCell(text, attrs) { return el("td", text, Object.assign({ class: "num" }, attrs)); }

function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

// ------------------------------------------------------------------- views

const VIEWS = ["library", "run", "runs", "compare", "analysis"];

function route() {
  const hash = location.hash.replace(/^#/, "") || "library";
  const [view, arg] = hash.split("/");
  const name = VIEWS.includes(view) ? view : "library";
  for (const v of VIEWS) $("view-" + v).hidden = v !== name;
  for (const a of document.querySelectorAll("header nav a[data-view]")) {
    a.classList.toggle("active", a.dataset.view === name);
  }
  if (name === "library" && arg && arg !== (state.current && state.current.name)) {
    openScenario(decodeURIComponent(arg));
  }
  if (name === "run" && arg && arg !== state.runId) openRun(arg);
  if (name === "runs") loadRuns();
  if (name === "compare") prepareCompare(arg);
  if (name === "analysis") fillScenarioSelect($("analysis-scenario"));
}

// ----------------------------------------------------------------- library

async function loadLibrary() {
  const data = await api("GET", "/api/scenarios");
  state.library = data.scenarios;
  const list = $("scenario-list");
  clear(list);
  for (const entry of state.library) {
    const button = el("button", entry.name, { type: "button", "data-name": entry.name });
    button.appendChild(el("span", entry.source === "builtin" ? "built-in" : "yours",
      { class: "badge" }));
    if (entry.title) button.appendChild(el("div", entry.title, { class: "muted small" }));
    button.addEventListener("click", () => { location.hash = "#library/" + entry.name; });
    list.appendChild(el("li")).appendChild(button);
  }
  for (const select of [$("intervention-scenario"), $("analysis-scenario")]) {
    fillScenarioSelect(select);
  }
  fillInterventions();
}

function fillScenarioSelect(select) {
  const keep = select.value;
  if (select.options.length === state.library.filter((s) => s.valid).length) return;
  clear(select);
  for (const entry of state.library.filter((s) => s.valid)) {
    select.appendChild(el("option", entry.name, { value: entry.name }));
  }
  if (keep) select.value = keep;
}

async function openScenario(name) {
  try {
    const data = await api("GET", "/api/scenarios/" + encodeURIComponent(name));
    state.current = { name };
    state.loadedText = data.text;
    $("yaml").value = data.text;
    $("editor-name").textContent = name;
    for (const b of document.querySelectorAll("#scenario-list button")) {
      b.classList.toggle("selected", b.dataset.name === name);
    }
    updateGutter([]);
    validateNow();
  } catch (error) {
    $("validation").textContent = error.message;
    $("validation").className = "validation bad";
  }
}

function updateGutter(errorLines) {
  const lines = $("yaml").value.split("\n").length;
  const bad = new Set(errorLines);
  const gutter = $("gutter");
  clear(gutter);
  for (let i = 1; i <= lines; i++) {
    const span = el("span", String(i), { "data-line": String(i) });
    if (bad.has(i)) span.className = "error";
    gutter.appendChild(span);
  }
  gutter.scrollTop = $("yaml").scrollTop;
}

function scheduleValidate() {
  clearTimeout(state.validateTimer);
  updateGutter(state.errorLines || []);
  state.validateTimer = setTimeout(validateNow, 350);
}

async function validateNow() {
  const seq = ++state.validateSeq;
  const text = $("yaml").value;
  const box = $("validation");
  const list = $("errors");
  try {
    const data = await api("POST", "/api/validate", { text });
    if (seq !== state.validateSeq) return;
    state.errorLines = [];
    box.textContent = "valid: " + data.scenario + " (" + data.actors.length + " actors, " +
      data.questions.length + " questions, " + data.horizon_weeks + " weeks)";
    box.className = "validation ok";
    clear(list);
  } catch (error) {
    if (seq !== state.validateSeq) return;
    const errors = (error.data && error.data.errors) || [];
    state.errorLines = errors.map((e) => e.line).filter((n) => n);
    box.textContent = error.status === 422 ? errors.length + " problem(s) in the scenario"
      : error.message;
    box.className = "validation bad";
    clear(list);
    for (const e of errors) {
      const item = el("li", "line " + e.line + ", column " + e.column + ": " + e.message +
        (e.expected ? " (expected " + e.expected + ")" : ""),
        { "data-line": String(e.line) });
      item.addEventListener("click", () => goToLine(e.line));
      list.appendChild(item);
    }
  }
  updateGutter(state.errorLines);
}

function goToLine(line) {
  const area = $("yaml");
  const lines = area.value.split("\n");
  let start = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
  area.focus();
  area.setSelectionRange(start, start + (lines[line - 1] || "").length);
  const lineHeight = parseFloat(getComputedStyle(area).lineHeight) || 19;
  area.scrollTop = Math.max(0, (line - 5) * lineHeight);
}

async function startRun(event) {
  event.preventDefault();
  $("run-form-message").textContent = "";
  const body = { text: $("yaml").value, runs: Number($("run-runs").value),
    seed: Number($("run-seed").value) };
  try {
    const job = await api("POST", "/api/runs", body);
    state.runId = job.id;
    location.hash = "#run/" + job.id;
    showRunJob(job);
  } catch (error) {
    $("run-form-message").textContent = error.message;
  }
}

async function saveScenario() {
  const name = $("save-name").value.trim();
  $("run-form-message").textContent = "";
  if (!name) { $("run-form-message").textContent = "give a name to save under"; return; }
  try {
    await api("PUT", "/api/scenarios/" + encodeURIComponent(name), { text: $("yaml").value });
    $("run-form-message").textContent = "";
    await loadLibrary();
    location.hash = "#library/" + name;
  } catch (error) {
    $("run-form-message").textContent = error.message;
  }
}

// -------------------------------------------------------------------- jobs

function watchJob(id, onProgress) {
  return new Promise((resolve) => {
    const source = new EventSource("/api/jobs/" + encodeURIComponent(id) + "/events");
    const finish = (event) => {
      source.close();
      const job = JSON.parse(event.data);
      onProgress(job);
      resolve(job);
    };
    source.addEventListener("progress", (event) => onProgress(JSON.parse(event.data)));
    source.addEventListener("end", finish);
    source.onerror = async () => {  // the stream broke: fall back to polling
      source.close();
      for (;;) {
        const job = await api("GET", "/api/jobs/" + encodeURIComponent(id));
        onProgress(job);
        if (["done", "failed", "cancelled"].includes(job.status)) { resolve(job); return; }
        await new Promise((r) => setTimeout(r, 500));
      }
    };
  });
}

function progressUpdater(prefix) {
  return (job) => {
    $(prefix + "-progress").value = job.progress;
    $(prefix + "-percent").textContent = Math.round(100 * job.progress) + "%";
  };
}

// --------------------------------------------------------------------- run

async function showRunJob(job) {
  $("run-empty").hidden = true;
  $("run-results").hidden = true;
  $("job-panel").hidden = false;
  $("job-label").textContent = job.label;
  $("job-status").textContent = job.status;
  $("job-cancel").disabled = false;
  $("job-cancel").onclick = async () => {
    try { await api("DELETE", "/api/jobs/" + job.id); } catch (error) {
      $("job-status").textContent = error.message;
    }
  };
  const update = progressUpdater("job");
  const final = await watchJob(job.id, (j) => { update(j); $("job-status").textContent = j.status; });
  $("job-cancel").disabled = true;
  if (final.status === "done") {
    await showRun(job.id);
  } else if (final.status === "failed") {
    $("job-status").textContent = "failed: " + final.error;
  } else {
    $("job-status").textContent = "cancelled: nothing was stored";
  }
}

async function openRun(id) {
  state.runId = id;
  $("run-empty").hidden = true;
  try {
    const job = await api("GET", "/api/jobs/" + encodeURIComponent(id));
    if (!["done", "failed", "cancelled"].includes(job.status)) { showRunJob(job); return; }
  } catch (error) { /* not a job of this server: a stored run */ }
  $("job-panel").hidden = true;
  await showRun(id);
}

async function showRun(id) {
  let run;
  try {
    run = await api("GET", "/api/runs/" + encodeURIComponent(id));
  } catch (error) {
    $("run-title").textContent = "Run " + id;
    $("run-empty").hidden = false;
    $("run-empty").textContent = error.message;
    return;
  }
  $("run-title").textContent = "Run " + id + ": " + (run.scenario_title || run.scenario);
  $("run-summary").textContent = run.scenario + ": " + run.runs.toLocaleString("en") +
    " runs, seed " + run.seed + ", " + run.horizon_weeks + " weeks from " + run.start +
    " (stored " + run.created.replace("T", " ").slice(0, 19) + " UTC)";
  $("report-link").href = "/api/runs/" + encodeURIComponent(id) + "/report";
  $("compare-link").href = "#compare/" + encodeURIComponent(id);
  const outcomes = $("outcome-table").tBodies[0];
  clear(outcomes);
  for (const name of OUTCOMES) {
    const e = run.outcomes[name];
    const row = el("tr", null, { "data-outcome": name });
    row.appendChild(el("td", name));
    row.appendChild(numCell(percent(e.p), { "data-p": String(e.p) }));
    row.appendChild(numCell(interval(e.lo, e.hi), { "data-lo": String(e.lo),
      "data-hi": String(e.hi) }));
    row.appendChild(numCell((e.count || 0).toLocaleString("en")));
    outcomes.appendChild(row);
  }
  const questions = $("question-table").tBodies[0];
  clear(questions);
  for (const [qid, e] of Object.entries(run.questions)) {
    const row = el("tr", null, { "data-question": qid });
    row.appendChild(el("td", qid));
    row.appendChild(numCell(e.by_week));
    row.appendChild(numCell(percent(e.p), { "data-p": String(e.p) }));
    row.appendChild(numCell(interval(e.lo, e.hi)));
    questions.appendChild(row);
  }
  drawQuestionWeeks($("question-weeks"), run.question_weeks || {}, run.start);
  $("run-results").hidden = false;
  const box = $("figures");
  clear(box);
  box.appendChild(el("p", "Drawing the figures…", { class: "muted" }));
  try {
    const data = await api("GET", "/api/runs/" + encodeURIComponent(id) + "/figures");
    showFigures(box, data.figures);
  } catch (error) {
    clear(box);
    box.appendChild(el("p", "No figures: " + error.message, { class: "message" }));
  }
}

// A line chart of each question's cumulative probability by week (SVG, drawn here).
function drawQuestionWeeks(box, curves, start) {
  clear(box);
  const ids = Object.keys(curves);
  if (!ids.length) { box.appendChild(el("p", "No forecast questions.", { class: "muted" })); return; }
  const NS = "http://www.w3.org/2000/svg";
  const W = 760, H = 300, L = 48, R = 12, T = 12, B = 34;
  const weeks = Math.max(...ids.map((q) => curves[q].length)) - 1;
  const top = Math.max(0.05, ...ids.flatMap((q) => curves[q]));
  const ymax = Math.min(1, Math.ceil(top * 10) / 10);
  const x = (w) => L + (W - L - R) * w / Math.max(1, weeks);
  const y = (p) => T + (H - T - B) * (1 - p / ymax);
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("data-figure", "question-weeks");
  const add = (tag, attrs, parent) => {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    (parent || svg).appendChild(node);
    return node;
  };
  const title = add("title", {});
  title.textContent = "Cumulative probability of each question's event by week";
  for (let i = 0; i <= 5; i++) {
    const p = ymax * i / 5;
    add("line", { x1: L, x2: W - R, y1: y(p), y2: y(p), stroke: "#e5e5e5" });
    add("text", { x: L - 6, y: y(p) + 4, "text-anchor": "end", "font-size": 11 })
      .textContent = Math.round(100 * p) + "%";
  }
  const step = Math.max(1, Math.ceil(weeks / 13));
  for (let w = 0; w <= weeks; w += step) {
    add("text", { x: x(w), y: H - B + 16, "text-anchor": "middle", "font-size": 11 })
      .textContent = "w" + w;
  }
  add("text", { x: (L + W - R) / 2, y: H - 4, "text-anchor": "middle", "font-size": 11 })
    .textContent = "week from " + start;
  const legend = el("div", null, { class: "legend" });
  ids.forEach((qid, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const values = curves[qid];
    add("polyline", { points: values.map((p, w) => x(w) + "," + y(p)).join(" "),
      fill: "none", stroke: colour, "stroke-width": 2, "data-question": qid });
    values.forEach((p, w) => {
      const dot = add("circle", { cx: x(w), cy: y(p), r: 3, fill: colour, opacity: 0 });
      dot.addEventListener("mouseenter", () => dot.setAttribute("opacity", 1));
      dot.addEventListener("mouseleave", () => dot.setAttribute("opacity", 0));
      add("title", {}, dot).textContent = qid + ", week " + w + ": " + percent(p);
    });
    const key = el("span", qid);
    key.prepend(el("i", null, { style: "background:" + colour }));
    legend.appendChild(key);
  });
  box.appendChild(svg);
  box.appendChild(legend);
  makeZoomable(svg);
}

function showFigures(box, figures) {
  clear(box);
  for (const figure of figures) {
    const node = el("figure", null, { "data-figure": figure.key });
    const holder = el("div", null, { class: "zoom" });
    holder.innerHTML = figure.svg;  // SVG drawn by the server (text escaped there)
    node.appendChild(holder);
    const caption = el("figcaption");
    caption.appendChild(el("strong", figure.title + ". "));
    caption.appendChild(document.createTextNode(figure.caption));
    node.appendChild(caption);
    box.appendChild(node);
    const svg = holder.querySelector("svg");
    if (svg) makeZoomable(svg);
  }
}

// Wheel zooms around the pointer, dragging pans, double-click resets: on the viewBox.
function makeZoomable(svg) {
  const w0 = parseFloat(svg.getAttribute("width")) || 0;
  const h0 = parseFloat(svg.getAttribute("height")) || 0;
  if (!svg.getAttribute("viewBox") && w0 && h0) svg.setAttribute("viewBox", `0 0 ${w0} ${h0}`);
  const initial = (svg.getAttribute("viewBox") || "").split(/[ ,]+/).map(Number);
  if (initial.length !== 4 || initial.some(Number.isNaN)) return;
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  let box = initial.slice();
  const apply = () => svg.setAttribute("viewBox", box.join(" "));
  const toLocal = (event) => {
    const rect = svg.getBoundingClientRect();
    return [box[0] + (event.clientX - rect.left) / rect.width * box[2],
      box[1] + (event.clientY - rect.top) / rect.height * box[3]];
  };
  svg.addEventListener("wheel", (event) => {
    event.preventDefault();
    const [px, py] = toLocal(event);
    const factor = event.deltaY < 0 ? 0.8 : 1.25;
    const width = Math.min(initial[2], box[2] * factor);
    const height = Math.min(initial[3], box[3] * factor);
    box = [px - (px - box[0]) * width / box[2], py - (py - box[1]) * height / box[3], width, height];
    apply();
  }, { passive: false });
  let drag = null;
  svg.addEventListener("pointerdown", (event) => { drag = [event.clientX, event.clientY, box.slice()]; });
  svg.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const rect = svg.getBoundingClientRect();
    const [sx, sy, start] = drag;
    box = [start[0] - (event.clientX - sx) / rect.width * start[2],
      start[1] - (event.clientY - sy) / rect.height * start[3], start[2], start[3]];
    apply();
  });
  for (const name of ["pointerup", "pointerleave"]) svg.addEventListener(name, () => { drag = null; });
  svg.addEventListener("dblclick", () => { box = initial.slice(); apply(); });
}

// ------------------------------------------------------------- stored runs

async function loadRuns() {
  const q = $("runs-search").value.trim();
  const data = await api("GET", "/api/runs" + (q ? "?q=" + encodeURIComponent(q) : ""));
  const body = $("runs-table").tBodies[0];
  clear(body);
  state.selected = state.selected.filter((id) => data.runs.some((r) => r.id === id));
  for (const run of data.runs) {
    const row = el("tr", null, { "data-run": run.id });
    const pick = el("input", null, { type: "checkbox", "aria-label": "select " + run.id });
    pick.checked = state.selected.includes(run.id);
    pick.addEventListener("change", () => {
      state.selected = state.selected.filter((id) => id !== run.id);
      if (pick.checked) state.selected.push(run.id);
      $("runs-compare").disabled = state.selected.length !== 2;
    });
    row.appendChild(el("td")).appendChild(pick);
    const link = el("a", run.id, { href: "#run/" + run.id });
    row.appendChild(el("td")).appendChild(link);
    row.appendChild(el("td", String(run.created).replace("T", " ").slice(0, 19)));
    row.appendChild(el("td", run.scenario));
    row.appendChild(numCell(Number(run.runs).toLocaleString("en")));
    row.appendChild(numCell(run.seed));
    for (const key of ["settlement", "great_power_war", "nuclear_use"]) {
      row.appendChild(numCell(percent(run[key])));
    }
    const actions = el("td");
    const report = el("a", "report", { href: "/api/runs/" + run.id + "/report", download: "" });
    const remove = el("button", "delete", { type: "button" });
    remove.addEventListener("click", async () => {
      if (!confirm("Delete run " + run.id + "?")) return;
      try { await api("DELETE", "/api/runs/" + run.id); } catch (error) { alert(error.message); }
      loadRuns();
    });
    actions.append(report, " ", remove);
    row.appendChild(actions);
    body.appendChild(row);
  }
  $("runs-empty").hidden = data.runs.length > 0;
  $("runs-compare").disabled = state.selected.length !== 2;
  return data.runs;
}

// ----------------------------------------------------------------- compare

async function prepareCompare(first) {
  const data = await api("GET", "/api/runs");
  for (const select of [$("compare-first"), $("compare-second")]) {
    const keep = select.value;
    clear(select);
    for (const run of data.runs) {
      select.appendChild(el("option", run.id + " · " + run.scenario + " · " +
        Number(run.runs).toLocaleString("en") + " runs, seed " + run.seed, { value: run.id }));
    }
    if (keep) select.value = keep;
  }
  if (first) {
    const [a, b] = first.split(",");
    $("compare-first").value = a;
    if (b) { $("compare-second").value = b; compareRuns(); }
  }
  fillScenarioSelect($("intervention-scenario"));
  fillInterventions();
}

function fillInterventions() {
  const entry = state.library.find((s) => s.name === $("intervention-scenario").value);
  const select = $("intervention-name");
  const keep = select.value;
  clear(select);
  for (const item of (entry && entry.interventions) || []) {
    select.appendChild(el("option", item.id + (item.description ? ": " + item.description : ""),
      { value: item.id }));
  }
  if (keep) select.value = keep;
}

function differenceTable(table, rows, labels) {
  clear(table);
  const head = el("thead").appendChild(el("tr")).parentNode;
  for (const h of ["", labels[0], "95% interval", labels[1], "95% interval", "difference",
    "95% interval", ""]) head.firstChild.appendChild(el("th", h));
  table.appendChild(head);
  const body = el("tbody");
  const scale = Math.max(0.001, ...rows.map((r) => Math.abs(r.difference)));
  for (const r of rows) {
    const row = el("tr", null, { "data-event": r.name, "data-difference": String(r.difference) });
    if (r.excludes_zero) row.className = "significant";
    row.appendChild(el("td", r.name));
    row.appendChild(numCell(percent(r.a)));
    row.appendChild(numCell(r.aLo === undefined ? "" : interval(r.aLo, r.aHi)));
    row.appendChild(numCell(percent(r.b)));
    row.appendChild(numCell(r.bLo === undefined ? "" : interval(r.bLo, r.bHi)));
    row.appendChild(numCell(points(r.difference)));
    row.appendChild(numCell("[" + points(r.lo) + ", " + points(r.hi) + "]"));
    const bar = el("span", null, { class: "bar" + (r.difference < 0 ? " negative" : ""),
      style: "width:" + (60 * Math.abs(r.difference) / scale).toFixed(1) + "px",
      title: points(r.difference) });
    row.appendChild(el("td")).appendChild(bar);
    body.appendChild(row);
  }
  table.appendChild(body);
}

function storedRows(differences) {
  return Object.entries(differences).map(([name, d]) => ({ name, a: d.first.p, aLo: d.first.lo,
    aHi: d.first.hi, b: d.second.p, bLo: d.second.lo, bHi: d.second.hi,
    difference: d.difference, lo: d.lo, hi: d.hi, excludes_zero: d.excludes_zero }));
}

function pairedRows(result, kind) {
  return Object.entries(result.differences[kind]).map(([name, d]) => {
    const a = result.baseline[kind][name] || {}, b = result.changed[kind][name] || {};
    return { name, a: d.baseline, aLo: a.lo, aHi: a.hi, b: d.changed, bLo: b.lo, bHi: b.hi,
      difference: d.difference, lo: d.lo, hi: d.hi, excludes_zero: d.excludes_zero };
  });
}

async function compareRuns(event) {
  if (event) event.preventDefault();
  $("compare-message").textContent = "";
  const a = $("compare-first").value, b = $("compare-second").value;
  if (!a || !b) { $("compare-message").textContent = "choose two stored runs"; return; }
  try {
    const data = await api("GET", "/api/runs/" + a + "/compare/" + b);
    $("compare-summary").textContent = "Run " + a + " (" + data.first.scenario + ", seed " +
      data.first.seed + ") against run " + b + " (" + data.second.scenario + ", seed " +
      data.second.seed + "); interval: " + data.interval + ".";
    differenceTable($("compare-outcomes"), storedRows(data.differences.outcomes),
      ["first " + a, "second " + b]);
    differenceTable($("compare-questions"), storedRows(data.differences.questions),
      ["first " + a, "second " + b]);
    $("compare-result").hidden = false;
  } catch (error) {
    $("compare-message").textContent = error.message;
  }
}

async function runJob(prefix, path, body) {
  $(prefix + "-message").textContent = "";
  let job;
  try { job = await api("POST", path, body); } catch (error) {
    $(prefix + "-message").textContent = error.message;
    return null;
  }
  $(prefix + "-job").hidden = false;
  $(prefix + "-job-label").textContent = job.label;
  $(prefix + "-cancel").disabled = false;
  $(prefix + "-cancel").onclick = () => api("DELETE", "/api/jobs/" + job.id).catch(() => {});
  const final = await watchJob(job.id, progressUpdater(prefix));
  $(prefix + "-cancel").disabled = true;
  if (final.status !== "done") {
    $(prefix + "-message").textContent = final.status + (final.error ? ": " + final.error : "");
    return null;
  }
  return (await api("GET", "/api/jobs/" + job.id)).result;
}

async function compareIntervention(event) {
  event.preventDefault();
  $("compare-result").hidden = true;
  const result = await runJob("compare", "/api/compare", {
    scenario: $("intervention-scenario").value, intervention: $("intervention-name").value,
    runs: Number($("intervention-runs").value), seed: Number($("intervention-seed").value) });
  if (!result) return;
  $("compare-summary").textContent = result.scenario + ": intervention " + result.intervention +
    " against the baseline, " + result.runs.toLocaleString("en") + " paired runs, seed " +
    result.seed + ".";
  differenceTable($("compare-outcomes"), pairedRows(result, "outcomes"),
    ["baseline", "intervention"]);
  differenceTable($("compare-questions"), pairedRows(result, "questions"),
    ["baseline", "intervention"]);
  $("compare-result").hidden = false;
}

// ---------------------------------------------------------------- analysis

async function weighHypotheses() {
  $("hypotheses-result").hidden = true;
  const result = await runJob("analysis", "/api/hypotheses", {
    scenario: $("analysis-scenario").value, runs: Number($("analysis-runs").value),
    seed: Number($("analysis-seed").value) });
  if (!result) return;
  const table = $("posterior-table");
  clear(table);
  const head = el("tr");
  for (const h of ["Hypothesis", "Prior", "Posterior", "95% interval"]) head.appendChild(el("th", h));
  table.appendChild(el("thead")).appendChild(head);
  const body = el("tbody");
  for (const [name, p] of Object.entries(result.posterior)) {
    const row = el("tr", null, { "data-hypothesis": name });
    row.append(el("td", name), numCell(percent(p.prior)), numCell(percent(p.p)),
      numCell(interval(p.lo, p.hi)));
    body.appendChild(row);
  }
  table.appendChild(body);
  showFigures($("hypotheses-figures"), result.figures);
  $("hypotheses-result").hidden = false;
}

async function runSensitivity() {
  $("sensitivity-result").hidden = true;
  const method = $("sensitivity-method").value;
  const result = await runJob("analysis", "/api/sensitivity", {
    scenario: $("analysis-scenario").value, method: method,
    samples: Number($("sensitivity-samples").value),
    // filtering uses one run per design point
    replicates: method === "rsa" ? 1 : Number($("sensitivity-replicates").value),
    seed: Number($("analysis-seed").value) });
  if (!result) return;
  showFigures($("sensitivity-figures"), result.figures);
  $("sensitivity-result").hidden = false;
}

// ------------------------------------------------------------------- start

async function start() {
  $("yaml").addEventListener("input", scheduleValidate);
  $("yaml").addEventListener("scroll", () => { $("gutter").scrollTop = $("yaml").scrollTop; });
  $("run-form").addEventListener("submit", startRun);
  $("save-button").addEventListener("click", saveScenario);
  let searchTimer = null;
  $("runs-search").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(loadRuns, 250);
  });
  $("runs-compare").addEventListener("click", () => {
    location.hash = "#compare/" + state.selected.join(",");
  });
  $("compare-runs-form").addEventListener("submit", compareRuns);
  $("compare-intervention-form").addEventListener("submit", compareIntervention);
  $("intervention-scenario").addEventListener("change", fillInterventions);
  $("hypotheses-button").addEventListener("click", weighHypotheses);
  $("sensitivity-button").addEventListener("click", runSensitivity);
  window.addEventListener("hashchange", route);
  try {
    const health = await api("GET", "/api/health");
    $("server-status").textContent = "redline " + health.version + " · " + health.db;
  } catch (error) {
    $("server-status").textContent = error.message;
  }
  await loadLibrary();
  const first = state.library.find((s) => s.name === "kursk-2024") || state.library[0];
  if (first && !location.hash.startsWith("#library/")) await openScenario(first.name);
  route();
}

document.addEventListener("DOMContentLoaded", start);
