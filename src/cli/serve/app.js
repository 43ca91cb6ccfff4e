// familyflow's page: talks only to the JSON API of `familyflow serve`.
// Every value from the server or the scenario is put in the page as text
// (textContent), never as HTML.
"use strict";

const token = new URLSearchParams(location.hash.slice(1)).get("token") || sessionStorage.getItem("token") || "";
if (token) sessionStorage.setItem("token", token);
const $ = (id) => document.getElementById(id);
const auth = token ? { Authorization: "Bearer " + token } : {};
const withToken = (url) => token ? url + (url.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token) : url;

async function api(path, options = {}) {
  options.headers = Object.assign({}, auth, options.headers || {});
  const res = await fetch(path, options);
  const body = (res.headers.get("content-type") || "").includes("json") ? await res.json() : await res.text();
  return { status: res.status, body };
}

function el(tag, text, attrs = {}) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

let scenarios = [];
// The shipped scenario whose text is in the editor, unchanged: run by name.
let loaded = null;

async function loadScenarios() {
  const { body } = await api("/api/scenarios");
  scenarios = body.scenarios || [];
  for (const s of scenarios) {
    $("shipped").append(el("option", s.name + " — " + s.title, { value: s.name }));
    $("compare").append(el("option", s.name + " — " + s.title, { value: s.name }));
  }
  describeShipped();
  await loadText();
}

function describeShipped() {
  const s = scenarios.find((x) => x.name === $("shipped").value);
  $("described").textContent = s ? s.description + " (" + s.children.toLocaleString() + " children, " + s.years + " years)" : "";
}

async function loadText() {
  const name = $("shipped").value;
  const { status, body } = await api("/api/scenario?name=" + encodeURIComponent(name));
  if (status === 200) {
    loaded = { name, text: body };
    $("text").value = body;
    $("text").dispatchEvent(new Event("textloaded"));
    check();
  }
}

let checkTimer = null;
function scheduleCheck() {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(check, 400);
}

async function check() {
  const box = $("check");
  const { status, body } = await api("/api/check", { method: "POST", body: $("text").value, headers: { "Content-Type": "text/plain" } });
  box.replaceChildren();
  if (status !== 200) {
    box.append(el("span", "check failed: " + (body.error || status), { class: "bad" }));
    return false;
  }
  if (body.ok) {
    box.append(el("span", "ok: " + body.name + " — " + body.years + " years from " + body.start + ", " + body.children.toLocaleString() + " children", { class: "ok" }));
    return true;
  }
  const list = el("ul");
  for (const e of body.errors) {
    const where = [e.file, e.line ? "line " + e.line + ":" + e.column : "", e.field].filter(Boolean).join(", ");
    list.append(el("li", where + ": " + e.message, { class: "bad" }));
  }
  box.append(list);
  return false;
}

let source = null;
let current = null;

async function run() {
  $("result").replaceChildren();
  const text = $("text").value;
  const edited = loaded && loaded.text === text ? { scenario: loaded.name } : { scenario_text: text };
  // A comparison: the chosen scenario is the baseline A, the text above B.
  const request = $("compare").value
    ? { scenario: $("compare").value, compare_with: edited.scenario, compare_text: edited.scenario_text }
    : edited;
  Object.assign(request, {
    seed: Number($("seed").value),
    replications: Number($("replications").value),
  });
  const { status, body } = await api("/api/runs", { method: "POST", body: JSON.stringify(request), headers: { "Content-Type": "application/json" } });
  if (status !== 200 && status !== 202) {
    showError(body);
    return;
  }
  watch(body.id);
}

function showError(body) {
  const box = $("result");
  box.replaceChildren(el("p", body.error || JSON.stringify(body), { class: "error" }));
  for (const e of body.errors || []) {
    box.append(el("p", [e.file, e.line ? "line " + e.line : "", e.field, e.message].filter(Boolean).join(": "), { class: "error" }));
  }
}

function watch(id) {
  current = id;
  if (source) source.close();
  $("progress").hidden = false;
  source = new EventSource(withToken("/api/runs/" + id + "/progress"));
  source.addEventListener("status", (ev) => {
    const s = JSON.parse(ev.data);
    const share = s.state === "running" ? s.progress : s.state === "done" ? 1 : 0;
    $("bar").style.width = Math.round(share * 300) + "px";
    $("progresstext").textContent = s.state + (s.state === "running" ? " " + Math.round(share * 100) + "%" : "");
    if (["done", "failed", "cancelled"].includes(s.state)) {
      source.close();
      source = null;
      $("cancel").hidden = true;
      show(id);
      refresh();
    } else {
      $("cancel").hidden = false;
    }
  });
}

async function show(id) {
  const { status, body } = await api("/api/runs/" + id);
  const box = $("result");
  box.replaceChildren();
  if (status !== 200) return showError(body);
  box.append(el("p", (body.compare_title ? body.compare_title + " (B) against " + body.title + " (A)" : body.title) + " · seed " + body.seed + " · " + body.replications + " replication(s) · " + body.status.state));
  if (body.status.state === "failed") box.append(el("p", body.status.error, { class: "error" }));
  if (body.status.state !== "done") return;
  const files = el("p", "Files: ", { class: "files" });
  for (const f of body.files || []) files.append(el("a", f, { href: withToken("/api/runs/" + id + "/files/" + f), download: f }));
  box.append(files);
  $("reportview").hidden = false;
  const url = withToken("/api/runs/" + id + "/report");
  $("report").src = url;
  $("reportlink").href = url;
}

async function cancel() {
  if (current) await api("/api/runs/" + current, { method: "DELETE" });
}

async function refresh() {
  const { body } = await api("/api/runs");
  const rows = $("runs");
  rows.replaceChildren();
  for (const r of body.runs || []) {
    const tr = el("tr");
    tr.append(el("td", r.title + (r.compare_title ? " vs " + r.compare_title : "")), el("td", r.kind), el("td", r.seed), el("td", r.replications), el("td", r.status.state + (r.status.state === "running" ? " " + Math.round(r.status.progress * 100) + "%" : "")));
    const open = el("button", "open", { type: "button" });
    open.addEventListener("click", () => (["queued", "running"].includes(r.status.state) ? watch(r.id) : show(r.id)));
    const td = el("td");
    td.append(open);
    tr.append(td);
    rows.append(tr);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("shipped").addEventListener("change", () => { describeShipped(); loadText(); });
  $("load").addEventListener("click", loadText);
  $("text").addEventListener("input", scheduleCheck);
  $("run").addEventListener("click", run);
  $("cancel").addEventListener("click", cancel);
  $("refresh").addEventListener("click", refresh);
  loadScenarios();
  refresh();
  // A run named in the address (#run=ID, beside any token) opens at once.
  const named = new URLSearchParams(location.hash.slice(1)).get("run");
  if (named && /^[0-9a-f]{32}$/.test(named)) show(named);
});
