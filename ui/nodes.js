// Nodes: labels, capabilities, status and drift, and the machine facts the
// agent sends with every heartbeat.
import { get, getAll, post, put, del } from "./api.js";
import { h, replace, badge, link, table, when, labels, bytes, duration, meter, section, action, errorBox, confirmAction,
  field, form } from "./dom.js";
import { t } from "./i18n.js";
import { runSection } from "./task_run.js";
import { lineChart } from "./chart.js";

const DAY = 86400000;
let range = "day"; // of the history charts, kept while the console is open

function memUsed(f) {
  const avail = f.memAvailableBytes ?? f.memFreeBytes;
  return f.memTotalBytes && avail !== undefined ? meter(f.memTotalBytes - avail, f.memTotalBytes) : "–";
}

function rootDisk(f) {
  const d = f.disk && (f.disk["/"] || Object.values(f.disk)[0]);
  return d ? meter(d.totalBytes - d.freeBytes, d.totalBytes) : "–";
}

const load = (f) => (f.load ? f.load.map((x) => x.toFixed(2)).join(" ") : "–");

export async function renderList(main, _params, ctx) {
  const body = h("div");
  replace(main, h("h1", {}, t("Nodes")), body);
  await ctx.live(async () => {
    const [nodes, drifted] = await Promise.all([getAll("/admin/nodes"), get("/admin/drift?status=drifted")]);
    const drift = new Set(drifted.items.map((d) => d.nodeId));
    replace(body, table([
      { title: t("Name"), cell: (n) => link(`#/nodes/${n.id}`, n.name) },
      { title: t("Address"), cell: (n) => n.ip },
      { title: t("Status"), cell: (n) => h("span", {}, badge(n.status), n.cordoned ? h("span", { class: "chip" }, "cordoned") : null) },
      { title: t("Drift"), cell: (n) => drift.has(n.id) ? badge("drifted") : "" },
      { title: t("Labels"), cell: (n) => labels(n.labels) },
      { title: t("OS"), cell: (n) => (n.facts && n.facts.osName) || "–" },
      { title: t("CPUs"), cell: (n) => String((n.facts && n.facts.cpuCount) ?? "–") },
      { title: t("Load"), cell: (n) => load(n.facts || {}) },
      { title: t("Memory"), cell: (n) => memUsed(n.facts || {}) },
      { title: t("Disk /"), cell: (n) => rootDisk(n.facts || {}) },
      { title: t("Uptime"), cell: (n) => duration(n.facts && n.facts.uptimeSec) },
      { title: t("Last heartbeat"), cell: (n) => when(n.lastHeartbeatAt) },
    ], nodes, t("No node has joined yet: see `pagoda nodes join-token`.")));
  }, 3000);
}

function facts(n) {
  const f = n.facts || {};
  const c = n.capabilities || {};
  const row = (k, v) => h("tr", {}, h("th", {}, k), h("td", {}, v));
  return h("div", { class: "facts", id: "facts" },
    h("table", { class: "kv" }, h("tbody", {},
      row(t("Host name"), f.hostname || "–"), row(t("OS"), f.osName || "–"), row(t("Kernel"), f.kernel || "–"),
      row(t("Architecture"), f.arch || "–"), row(t("CPUs"), String(f.cpuCount ?? "–")), row(t("Load (1, 5, 15 min)"), load(f)),
      row(t("Memory"), h("span", {}, memUsed(f), ` of ${bytes(f.memTotalBytes)}`)),
      row(t("Uptime"), duration(f.uptimeSec)), row(t("Agent"), n.agentVersion || "–"),
      row("nginx", c.nginx ? `yes (${c.nginxVersion || "?"})` : "no"),
      row("systemd", c.systemd ? `yes (${c.systemdVersion || "?"})` : "no"))),
    table([
      { title: t("Mount"), cell: ([m]) => m },
      { title: t("Used"), cell: ([, d]) => meter(d.totalBytes - d.freeBytes, d.totalBytes) },
      { title: t("Free"), cell: ([, d]) => bytes(d.freeBytes) },
      { title: t("Size"), cell: ([, d]) => bytes(d.totalBytes) },
    ], Object.entries(f.disk || {}), t("No disk reported.")));
}

// CPU, load, memory and disk over the last day or week, with the switch.
function history(hist, redraw) {
  const span = range === "week" ? 7 * DAY : DAY, res = hist.resolutionSec, pts = hist.points;
  const pct = (v) => `${Math.round(v * 100)}%`;
  const pick = (r, label) => h("button", { type: "button", class: r === range ? "" : "quiet-dark", id: `range-${r}`,
    onclick: () => { range = r; redraw(); } }, label);
  return h("div", { id: "history" },
    h("div", { class: "buttons" }, pick("day", t("Last day")), pick("week", t("Last week"))),
    h("div", { class: "charts" },
      lineChart("chart-cpu", t("CPU busy"), pts, "cpuBusy", { max: 1, fmt: pct, span, res }),
      lineChart("chart-load", t("Load (1 min)"), pts, "load1", { fmt: (v) => v.toFixed(2), span, res }),
      lineChart("chart-mem", t("Memory used"), pts, "memUsed", { max: 1, fmt: pct, span, res }),
      lineChart("chart-disk", t("Fullest disk"), pts, "diskUsed", { max: 1, fmt: pct, span, res })));
}

// Name, address and labels; the API's error marks the field.
function nodeForm(n, done) {
  const f = {
    name: h("input", { name: "name", required: true, value: n.name, "data-field": "name" }),
    ip: h("input", { name: "ip", required: true, value: n.ip, "data-field": "ip" }),
    labels: h("input", { name: "labels", value: Object.entries(n.labels || {}).map(([k, v]) => `${k}=${v}`).join(","),
      "data-field": "labels", placeholder: "role=web,zone=a" }),
  };
  return form("node-form", [field(t("Name"), f.name), field(t("Address"), f.ip),
    field(t("Labels"), f.labels, t("key=value, comma separated; applications select nodes by them"))], t("Save"), async () => {
    const labels = {};
    for (const kv of f.labels.value.split(",").map((x) => x.trim()).filter(Boolean)) {
      const eq = kv.indexOf("=");
      if (eq < 1) throw Object.assign(new Error(t("{0}: write key=value", kv)), { field: "labels" });
      labels[kv.slice(0, eq).trim()] = kv.slice(eq + 1).trim();
    }
    await put(`/admin/nodes/${n.id}`, { name: f.name.value.trim(), ip: f.ip.value.trim(), labels });
    done();
  });
}

export async function renderOne(main, [id], ctx) {
  const body = h("div"), editor = h("div"), runner = h("div"); // these stay as they are across redraws
  const deleting = {}; // the Delete button's armed state
  replace(main, body, editor, runner);
  if (ctx.can("admin:node:manage")) get(`/admin/nodes/${id}`).then((n) => runSection(n, ctx)).then((s) => replace(runner, s))
    .catch((e) => replace(runner, errorBox(e)));
  const draw = async () => {
    const [n, st, tasks, hist] = await Promise.all([get(`/admin/nodes/${id}`), get(`/admin/nodes/${id}/status`),
      get(`/admin/tasks?nodeId=${id}&limit=20`), get(`/admin/nodes/${id}/history?range=${range}`)]);
    replace(body,
      h("div", { class: "title-row" }, h("h1", {}, n.name), badge(n.status), n.cordoned ? h("span", { class: "chip" }, "cordoned") : null),
      h("p", { class: "muted" }, `${n.ip} · `, labels(n.labels), " · last heartbeat ", when(n.lastHeartbeatAt)),
      ctx.can("admin:node:manage") ? h("div", { class: "buttons" },
        action(n.cordoned ? t("Uncordon") : t("Cordon"), () => post(`/admin/nodes/${id}/${n.cordoned ? "uncordon" : "cordon"}`),
          { id: "cordon" }),
        action(t("Edit"), () => replace(editor, section(t("Edit"), nodeForm(n, () => { replace(editor); draw(); }),
          h("button", { type: "button", class: "quiet-dark", onclick: () => replace(editor) }, t("Close")))),
        { id: "edit-node", class: "quiet-dark" }),
        confirmAction(t("Delete"), t("Revokes its agent token; what runs on the machine stays as it is."), async () => {
          await del(`/admin/nodes/${id}`);
          ctx.go("#/nodes");
        }, { id: "delete-node" }, deleting)) : null,
      section(t("Machine"), facts(n)),
      section(t("History"), history(hist, draw)),
      section(t("Managed state"), h("p", {}, badge(st.status), " reported ", when(st.reportedAt)),
        table([
          { title: t("Owner"), cell: (o) => o.owner.startsWith("app:") ? link(`#/apps/${o.owner.slice(4)}`, o.owner) : o.owner || "(tasks)" },
          { title: t("Status"), cell: (o) => badge(o.status) },
          { title: t("Items"), cell: (o) => String(o.items ?? "–") },
          { title: t("Drift"), cell: (o) => (o.drift || []).map((d) => h("div", {}, `${d.item}: ${d.reason}`)) },
          { title: t("Since"), cell: (o) => when(o.since) },
        ], st.owners || [], t("Nothing managed here yet."))),
      section(t("Recent tasks"), table([
        { title: t("Task"), cell: (t) => `#${t.id}` },
        { title: t("Type"), cell: (t) => t.type },
        { title: t("Status"), cell: (t) => badge(t.status) },
        { title: t("By"), cell: (t) => t.createdBy },
        { title: t("Finished"), cell: (t) => when(t.finishedAt) },
        { title: t("Error"), cell: (t) => t.errorMessage || "" },
      ], tasks.items, t("No task yet."))));
  };
  await ctx.live(draw, 3000);
}
