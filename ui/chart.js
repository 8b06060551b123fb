// A node's history as small line charts: one figure over the last day or
// week, gaps where the node said nothing (offline, or the figure unknown).
import { h, svg } from "./dom.js";
import { t, fmtTime } from "./i18n.js";

const W = 420, H = 120, L = 40, R = 8, T = 10, B = 20;

// points: [{at, [key]: number|null}] a point every res seconds over span
// ms; max: the top of the scale (null: a little over the largest value);
// fmt: how a value reads.
export function lineChart(id, title, points, key, { max = null, fmt = (v) => String(v), span, res }) {
  const now = Date.now(), start = now - span;
  const vals = points.map((p) => p[key]).filter((v) => typeof v === "number");
  const top = max ?? Math.max(1, ...vals) * 1.1;
  const x = (at) => L + ((Date.parse(at) - start) / span) * (W - L - R);
  const y = (v) => T + (1 - Math.min(v, top) / top) * (H - T - B);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", id, role: "img", "aria-label": title });
  for (const f of [0, 0.5, 1])
    root.append(svg("line", { x1: L, x2: W - R, y1: y(top * f), y2: y(top * f), class: "grid" }),
      svg("text", { x: L - 4, y: y(top * f) + 4, class: "tick y" }, fmt(top * f)));
  root.append(svg("text", { x: L, y: H - 4, class: "tick" }, fmtTime(start)),
    svg("text", { x: W - R, y: H - 4, class: "tick end" }, t("now")));
  // more than three points missing break the line
  const step = res * 1000;
  let d = "", last = null;
  for (const p of points) {
    const v = p[key];
    if (typeof v !== "number") { last = null; continue; }
    const at = Date.parse(p.at);
    d += `${last === null || at - last > 3 * step ? "M" : "L"}${x(p.at).toFixed(1)},${y(v).toFixed(1)} `;
    last = at;
  }
  if (d) root.append(svg("path", { d, class: "line" }));
  const latest = [...points].reverse().find((p) => typeof p[key] === "number");
  if (latest) root.append(svg("circle", { cx: x(latest.at), cy: y(latest[key]), r: 2.5, class: "dot" }));
  return h("div", { class: "chart-card" },
    h("div", { class: "card-title" }, title, latest ? h("span", { class: "chart-now" }, fmt(latest[key])) : null),
    vals.length ? root : h("p", { class: "empty" }, t("No history yet: points come with the heartbeats.")));
}
