// Building the page: elements from data with textContent only, so nothing
// the API returns is ever parsed as HTML.
import { t } from "./i18n.js";
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "style") el.style.cssText = v; // CSSOM: allowed by the CSP, unlike a style attribute
    else el.setAttribute(k, v === true ? "" : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const GOOD = ["online", "succeeded", "converged", "valid", "done", "resolved", "active"];
const BAD = ["offline", "failed", "drifted", "firing", "expired", "error", "rolled_back"];
const BUSY = ["running", "pending", "leased", "created", "waiting", "awaiting_approval", "paused", "renewing"];

export function badge(status) {
  const s = String(status ?? "unknown");
  const kind = GOOD.includes(s) ? "good" : BAD.includes(s) ? "bad" : BUSY.includes(s) ? "busy" : "neutral";
  return h("span", { class: "badge " + kind, "data-status": s }, s.replaceAll("_", " "));
}

// columns: [{ title, cell: (row) => node|string }]
export function table(columns, rows, empty = t("Nothing here yet.")) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return h("table", {},
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", {}, c.title)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, columns.map((c) => h("td", {}, c.cell(r)))))));
}

export function bytes(n) {
  if (n === undefined || n === null) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : n) + " " + units[i];
}

export function duration(sec) {
  if (sec === undefined || sec === null) return "–";
  const d = Math.floor(sec / 86400), hr = Math.floor((sec % 86400) / 3600), m = Math.floor((sec % 3600) / 60);
  return d ? `${d}d ${hr}h` : hr ? `${hr}h ${m}m` : `${m}m ${Math.floor(sec % 60)}s`;
}

export function when(iso) {
  if (!iso) return "–";
  const at = new Date(iso);
  const ago = (Date.now() - at.getTime()) / 1000;
  const rel = Math.abs(ago) < 60 ? t("just now") : ago > 0 ? t("{0} ago", duration(ago)) : t("in {0}", duration(-ago));
  return h("time", { datetime: iso, title: at.toISOString() }, rel);
}

// An SVG element (charts and timelines are drawn without a library).
export function svg(tag, attrs, text) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

export function meter(used, total) {
  const pct = total ? Math.round((used / total) * 100) : 0;
  const kind = pct >= 90 ? "bad" : pct >= 75 ? "busy" : "good";
  return h("span", { class: "meter", title: t("{0} of {1}", bytes(used), bytes(total)) },
    h("span", { class: "meter-bar " + kind, style: `width:${pct}%` }), h("span", { class: "meter-text" }, pct + "%"));
}

export function labels(obj) {
  return Object.entries(obj || {}).map(([k, v]) => h("span", { class: "chip" }, `${k}=${v}`));
}

export function link(href, text) {
  return h("a", { href }, text);
}

export function errorBox(err) {
  const where = err.field ? ` (field: ${err.field})` : "";
  return h("p", { class: "error", role: "alert" }, `${err.message}${where}`);
}

// A form of fields and a submit button: submit() runs on submit; what it
// returns (if anything) is shown under the form, and so is the API's error
// (with its field) when it throws.
export function form(id, fields, label, submit) {
  const out = h("div");
  const el = h("form", { class: "form", id, onsubmit: async (ev) => {
    ev.preventDefault();
    replace(out);
    markField(el, null);
    try { const shown = await submit(); if (shown) replace(out, shown); } catch (e) { markField(el, e); replace(out, errorBox(e)); }
  } }, ...fields, h("button", { type: "submit" }, label), out);
  return el;
}

// The input an API error names (its data-field is the error's field or the
// nearest parent of it: spec.unit.args[1] is the args box) is marked with the
// message under it; null clears the marks. Returns whether one was found.
export function markField(formEl, err) {
  for (const el of formEl.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const el of formEl.querySelectorAll(".field-error")) el.remove();
  const f = err && err.field;
  if (!f) return false;
  let best = null;
  for (const el of formEl.querySelectorAll("[data-field]")) {
    const d = el.dataset.field;
    if ((f === d || f.startsWith(d + ".") || f.startsWith(d + "[")) && (!best || d.length > best.dataset.field.length))
      best = el;
  }
  if (!best) return false;
  best.setAttribute("aria-invalid", "true");
  (best.closest("label.field") || best.parentNode).append(h("small", { class: "field-error" }, err.message));
  best.focus();
  return true;
}

// JSON typed into a form's box; bad JSON is an error naming that field.
export function parseJson(text, fieldName) {
  try { return JSON.parse(text); } catch (e) {
    throw Object.assign(new Error(t("{0} is not valid JSON: {1}", fieldName, e.message)), { field: fieldName });
  }
}

// A labelled input of a form, with a hint under it.
export function field(label, input, hint) {
  return h("label", { class: "field" }, h("span", {}, label), input, hint ? h("small", {}, hint) : null);
}

export function section(title, ...children) {
  return h("section", {}, h("h2", {}, title), ...children);
}

// A destructive action in two clicks: the first arms it (and says what will
// happen), the second runs it; Cancel disarms. keep carries the armed state
// and the API's refusal across a live view's redraws.
export function confirmAction(text, warning, fn, attrs = {}, keep = {}) {
  const box = h("span");
  const draw = () => {
    if (!keep.armed)
      return replace(box, h("button", { type: "button", class: "quiet-dark", ...attrs,
        onclick: () => { keep.armed = true; keep.error = null; draw(); } }, text));
    replace(box, h("span", { class: "warning" }, warning, " "),
      action(t("Yes, {0}", text.toLowerCase()), async () => {
        keep.error = null;
        try { await fn(); keep.armed = false; } catch (e) { keep.error = e; throw e; }
      }, { id: (attrs.id || "confirm") + "-yes", class: "danger" }),
      h("button", { type: "button", class: "quiet-dark", onclick: () => { keep.armed = false; draw(); } }, t("Cancel")),
      keep.error ? errorBox(keep.error) : null);
  };
  draw();
  return box;
}

// A button that runs an async action, disabled while it runs; errors are
// shown next to it.
export function action(text, fn, attrs = {}) {
  const out = h("span", { class: "action-error" });
  const b = h("button", { type: "button", ...attrs, onclick: async () => {
    b.disabled = true;
    replace(out);
    try { await fn(); } catch (e) { replace(out, errorBox(e)); } finally { b.disabled = false; }
  } }, text);
  return h("span", { class: "action" }, b, out);
}
