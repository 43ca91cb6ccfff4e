// familyflow's scenario form: generated from the scenario's JSON Schema
// (GET /api/schema), it reads its values from the TOML text and writes each
// change back into that text, line by line, keeping comments; the text stays
// what is checked and run. Also the policy-change editor (rows of date,
// dotted key and value → [[policy]] entries). All text is set as text.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const token = sessionStorage.getItem("token") || new URLSearchParams(location.hash.slice(1)).get("token") || "";
  const make = (tag, text, attrs = {}) => {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    return e;
  };

  // ---- the TOML text, line by line -------------------------------------
  const HEADER = /^\s*\[\[?\s*([A-Za-z0-9_.\s"-]+?)\s*\]\]?\s*(#.*)?$/;
  const KEY = /^(\s*)([A-Za-z0-9_-]+)(\s*=\s*)(.*)$/;

  // Splits a value from its trailing comment: [value, rest].
  function splitValue(s) {
    let quote = null;
    for (let i = 0; i < s.length; i++) {
      const c = s[i];
      if (quote) {
        if (c === "\\" && quote === '"') i++;
        else if (c === quote) quote = null;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === "#") {
        const v = s.slice(0, i);
        const t = v.trimEnd();
        return [t, v.slice(t.length) + s.slice(i)];
      }
    }
    const t = s.trimEnd();
    return [t, s.slice(t.length)];
  }

  // Where `section.key` is (section "" is the top level): the line's index
  // or -1, and where a new key of that section would go (-1: no section).
  function locate(lines, section, key) {
    let current = "";
    let array = false;
    let insertAt = section === "" ? lines.length : -1;
    for (let i = 0; i < lines.length; i++) {
      const h = lines[i].match(HEADER);
      if (h && !KEY.test(lines[i])) {
        if (current === "" && section === "" && insertAt === lines.length) insertAt = i;
        current = h[1].replace(/\s+/g, "");
        array = lines[i].trim().startsWith("[[");
        if (current === section && !array) insertAt = i + 1;
        continue;
      }
      const m = lines[i].match(KEY);
      if (m && !array && current === section && m[2] === key) return { at: i, insertAt };
    }
    return { at: -1, insertAt };
  }

  function readValue(text, section, key) {
    const lines = text.split("\n");
    const { at } = locate(lines, section, key);
    if (at < 0) return null;
    return splitValue(lines[at].match(KEY)[4])[0];
  }

  function writeValue(text, section, key, value) {
    const lines = text.split("\n");
    const { at, insertAt } = locate(lines, section, key);
    if (at >= 0) {
      const m = lines[at].match(KEY);
      lines[at] = m[1] + m[2] + m[3] + value + splitValue(m[4])[1];
    } else if (insertAt >= 0) {
      lines.splice(insertAt, 0, key + " = " + value);
    } else {
      while (lines.length && lines[lines.length - 1].trim() === "") lines.pop();
      lines.push("", "[" + section + "]", key + " = " + value, "");
    }
    return lines.join("\n");
  }

  // ---- the schema --------------------------------------------------------
  let schema = null;
  const deref = (node) => {
    let n = node || {};
    if (n.anyOf) n = n.anyOf.find((x) => x.type !== "null") || n;
    if (n.$ref) {
      const def = schema.$defs[n.$ref.split("/").pop()] || {};
      return Object.assign({}, def, n, { $ref: undefined, description: node.description || def.description });
    }
    return n;
  };
  const kind = (p) => {
    const t = Array.isArray(p.type) ? p.type.find((x) => x !== "null") : p.type;
    if (t === "string" && p.format === "date") return "date";
    if (p.enum) return "enum";
    return t;
  };
  const SCALAR = ["integer", "number", "boolean", "string", "date", "enum"];

  // The range as the schema states it, e.g. "0 to 1", "above 0", "1 to 10,000".
  function range(p) {
    const n = (x) => Number(x).toLocaleString("en-GB");
    const lo = p.minimum !== undefined ? n(p.minimum) : null;
    const above = p.exclusiveMinimum !== undefined ? n(p.exclusiveMinimum) : null;
    const hi = p.maximum !== undefined ? n(p.maximum) : null;
    if (lo !== null && hi !== null) return lo + " to " + hi;
    if (above !== null && hi !== null) return "above " + above + ", at most " + hi;
    if (above !== null) return "above " + above;
    if (lo !== null) return "at least " + lo;
    if (hi !== null) return "at most " + hi;
    return "";
  }

  // TOML text of a form value, or null when it is not one.
  function toToml(k, raw, p) {
    if (k === "boolean") return raw ? "true" : "false";
    const s = String(raw).trim();
    if (k === "integer") return /^-?\d+$/.test(s) ? s : null;
    if (k === "number") return s !== "" && Number.isFinite(Number(s)) ? s : null;
    if (k === "date") return /^\d{4}-\d{2}-\d{2}$/.test(s) ? s : null;
    if (k === "enum") return p.enum.includes(s) ? JSON.stringify(s) : null;
    return JSON.stringify(s);
  }
  function fromToml(k, v) {
    if (v === null) return null;
    if (k === "boolean") return v === "true";
    if (k === "string" || k === "enum") {
      try { return JSON.parse(v.startsWith("'") ? '"' + v.slice(1, -1).replace(/["\\]/g, "\\$&") + '"' : v); } catch (_) { return v; }
    }
    return v.replace(/_/g, "");
  }

  const fields = []; // { section, key, kind, prop, input }
  const keys = []; // dotted keys for the policy editor

  function field(box, section, key, prop) {
    const k = kind(prop);
    const id = "f-" + (section ? section + "." : "") + key;
    const row = make("div", null, { class: "field" });
    const label = make("label", (section ? "" : "") + key, { for: id });
    let input;
    if (k === "boolean") input = make("input", null, { type: "checkbox", id });
    else if (k === "enum") {
      input = make("select", null, { id });
      for (const v of prop.enum) input.append(make("option", v, { value: v }));
    } else {
      input = make("input", null, { id, type: k === "integer" || k === "number" ? "number" : k === "date" ? "date" : "text" });
      if (k === "integer" || k === "number") {
        input.setAttribute("step", k === "integer" ? "1" : "any");
        if (prop.minimum !== undefined) input.setAttribute("min", prop.minimum);
        if (prop.maximum !== undefined) input.setAttribute("max", prop.maximum);
      }
    }
    input.dataset.key = (section ? section + "." : "") + key;
    const r = range(prop);
    const help = make("span", (prop.description || "").replace(/\s*\n\s*/g, " ") + (r ? " Range: " + r + "." : ""), { class: "help" });
    row.append(label, input, help);
    box.append(row);
    const f = { section, key, kind: k, prop, input };
    fields.push(f);
    keys.push(input.dataset.key);
    input.addEventListener("change", () => edit(f));
  }

  function build(s) {
    schema = s;
    const form = $("form");
    form.replaceChildren();
    const general = make("details", null, { open: "" });
    general.append(make("summary", "General"));
    form.append(general);
    for (const [name, raw] of Object.entries(s.properties)) {
      const p = deref(raw);
      const k = kind(p);
      if (SCALAR.includes(k)) {
        field(general, "", name, p);
      } else if (k === "object" && p.properties && name !== "policy") {
        const sec = make("details");
        sec.append(make("summary", "[" + name + "]"), make("p", (p.description || "").replace(/\s*\n\s*/g, " "), { class: "note" }));
        let any = false;
        for (const [key, sub] of Object.entries(p.properties)) {
          const q = deref(sub);
          if (SCALAR.includes(kind(q))) { field(sec, name, key, q); any = true; }
        }
        if (any) form.append(sec);
      }
    }
    const list = $("policykeys");
    for (const k of keys.filter((k) => k.includes("."))) list.append(make("option", null, { value: k }));
    fill();
  }

  // Puts the text's values into the form (not into the field being typed in).
  function fill() {
    const text = $("text").value;
    for (const f of fields) {
      if (f.input === document.activeElement) continue;
      const v = fromToml(f.kind, readValue(text, f.section, f.key));
      f.input.classList.toggle("inherited", v === null);
      if (f.kind === "boolean") f.input.checked = v === true;
      else f.input.value = v === null ? "" : v;
    }
  }

  function setText(text) {
    $("text").value = text;
    $("text").dispatchEvent(new Event("input"));
  }

  function edit(f) {
    const raw = f.kind === "boolean" ? f.input.checked : f.input.value;
    const v = toToml(f.kind, raw, f.prop);
    f.input.classList.toggle("invalid", v === null);
    if (v === null) return;
    setText(writeValue($("text").value, f.section, f.key, v));
  }

  // ---- policy changes ------------------------------------------------------
  function addRow() {
    const tr = make("tr");
    const date = make("input", null, { type: "date", class: "pdate" });
    const key = make("input", null, { type: "text", class: "pkey", list: "policykeys", placeholder: "family_help.fte" });
    const value = make("input", null, { type: "text", class: "pvalue", placeholder: "120" });
    const drop = make("button", "remove", { type: "button" });
    drop.addEventListener("click", () => tr.remove());
    for (const x of [date, key, value, drop]) { const td = make("td"); td.append(x); tr.append(td); }
    $("policyrows").append(tr);
  }

  // A value as TOML: numbers, booleans, dates, arrays and strings written as
  // TOML stay; anything else becomes a quoted string.
  function policyValue(s) {
    s = s.trim();
    if (/^(true|false|-?\d[\d_]*(\.\d+)?([eE][-+]?\d+)?|\d{4}-\d{2}-\d{2})$/.test(s)) return s;
    if (/^".*"$/.test(s)) return s;
    return JSON.stringify(s);
  }

  function addPolicies() {
    const byDate = new Map();
    const problems = [];
    for (const tr of $("policyrows").querySelectorAll("tr")) {
      const date = tr.querySelector(".pdate").value;
      const key = tr.querySelector(".pkey").value.trim();
      const value = tr.querySelector(".pvalue").value;
      if (!date && !key && !value.trim()) continue;
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) problems.push("a change needs a date");
      else if (!/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)+$/.test(key)) problems.push("not a dotted key: " + key);
      else if (value.trim() === "") problems.push(key + " needs a value");
      else {
        if (!byDate.has(date)) byDate.set(date, []);
        byDate.get(date).push(key + " = " + policyValue(value));
      }
    }
    $("policynote").textContent = problems.join("; ");
    if (problems.length || byDate.size === 0) return;
    const lines = $("text").value.replace(/\s+$/, "").split("\n");
    for (const [date, rows] of [...byDate.entries()].sort()) lines.push("", "[[policy]]", "date = " + date, ...rows);
    setText(lines.join("\n") + "\n");
    $("policyrows").replaceChildren();
    addRow();
  }

  document.addEventListener("DOMContentLoaded", async () => {
    $("text").addEventListener("input", fill);
    $("text").addEventListener("textloaded", fill);
    $("policyadd").addEventListener("click", addRow);
    $("policyapply").addEventListener("click", addPolicies);
    addRow();
    const res = await fetch("/api/schema", { headers: token ? { Authorization: "Bearer " + token } : {} });
    if (res.ok) build(await res.json());
    else $("form").textContent = "the schema could not be read (" + res.status + ")";
  });
})();
