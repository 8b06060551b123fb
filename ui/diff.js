// Side-by-side view of a unified diff (what the API returns for config
// versions and releases: secrets arrive masked by the server).
import { h } from "./dom.js";
import { t } from "./i18n.js";

// Rows of { left, right, kind } from unified diff text; kind is "same",
// "change", "del", "add" or "hunk".
export function sideBySide(text) {
  const rows = [];
  let dels = [], adds = [];
  let ln = 0, rn = 0;
  const flush = () => {
    const n = Math.max(dels.length, adds.length);
    for (let i = 0; i < n; i++) {
      const l = dels[i], r = adds[i];
      rows.push({ left: l, right: r, kind: l && r ? "change" : l ? "del" : "add" });
    }
    dels = [];
    adds = [];
  };
  let oldLeft = 0, newLeft = 0; // lines the current hunk still holds on each side
  for (const line of (text || "").split("\n")) {
    const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (oldLeft <= 0 && newLeft <= 0) {
      // between hunks: file headers ("--- a", "+++ b") and hunk headers
      if (!m) continue;
      flush();
      ln = +m[1];
      rn = +m[3];
      oldLeft = m[2] === undefined ? 1 : +m[2];
      newLeft = m[4] === undefined ? 1 : +m[4];
      rows.push({ kind: "hunk", left: { n: "", text: line }, right: { n: "", text: "" } });
    } else if (line.startsWith("-")) {
      dels.push({ n: ln++, text: line.slice(1) });
      oldLeft--;
    } else if (line.startsWith("+")) {
      adds.push({ n: rn++, text: line.slice(1) });
      newLeft--;
    } else if (line.startsWith(" ") || line === "") {
      flush();
      rows.push({ kind: "same", left: { n: ln++, text: line.slice(1) }, right: { n: rn++, text: line.slice(1) } });
      oldLeft--;
      newLeft--;
    }
  }
  flush();
  return rows;
}

export function diffView(text, leftTitle, rightTitle) {
  const rows = sideBySide(text);
  if (!rows.length) return h("p", { class: "empty" }, t("No differences."));
  const cell = (side, kind) => [
    h("td", { class: "ln" }, side ? side.n : ""),
    h("td", { class: "code " + (side ? kind : "blank") }, side ? side.text : ""),
  ];
  return h("table", { class: "diff" },
    h("colgroup", {}, h("col", { class: "ln" }), h("col", {}), h("col", { class: "ln" }), h("col", {})),
    h("thead", {}, h("tr", {}, h("th", { colspan: 2 }, leftTitle), h("th", { colspan: 2 }, rightTitle))),
    h("tbody", {}, rows.map((r) => r.kind === "hunk"
      ? h("tr", { class: "hunk" }, h("td", { colspan: 4 }, r.left.text))
      : h("tr", { class: r.kind },
        cell(r.left, r.kind === "change" ? "del" : r.kind), cell(r.right, r.kind === "change" ? "add" : r.kind)))));
}
