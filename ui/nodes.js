// Nodes: labels, capabilities, status and drift, and the machine facts the
// agent sends with every heartbeat.
import { get, getAll, post } from "./api.js";
import { h, replace, badge, link, table, when, labels, bytes, duration, meter, section, action } from "./dom.js";

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
  replace(main, h("h1", {}, "Nodes"), body);
  await ctx.live(async () => {
    const [nodes, drifted] = await Promise.all([getAll("/admin/nodes"), get("/admin/drift?status=drifted")]);
    const drift = new Set(drifted.items.map((d) => d.nodeId));
    replace(body, table([
      { title: "Name", cell: (n) => link(`#/nodes/${n.id}`, n.name) },
      { title: "Address", cell: (n) => n.ip },
      { title: "Status", cell: (n) => h("span", {}, badge(n.status), n.cordoned ? h("span", { class: "chip" }, "cordoned") : null) },
      { title: "Drift", cell: (n) => drift.has(n.id) ? badge("drifted") : "" },
      { title: "Labels", cell: (n) => labels(n.labels) },
      { title: "OS", cell: (n) => (n.facts && n.facts.osName) || "–" },
      { title: "CPUs", cell: (n) => String((n.facts && n.facts.cpuCount) ?? "–") },
      { title: "Load", cell: (n) => load(n.facts || {}) },
      { title: "Memory", cell: (n) => memUsed(n.facts || {}) },
      { title: "Disk /", cell: (n) => rootDisk(n.facts || {}) },
      { title: "Uptime", cell: (n) => duration(n.facts && n.facts.uptimeSec) },
      { title: "Last heartbeat", cell: (n) => when(n.lastHeartbeatAt) },
    ], nodes, "No node has joined yet: see `pagoda nodes join-token`."));
  }, 3000);
}

function facts(n) {
  const f = n.facts || {};
  const c = n.capabilities || {};
  const row = (k, v) => h("tr", {}, h("th", {}, k), h("td", {}, v));
  return h("div", { class: "facts", id: "facts" },
    h("table", { class: "kv" }, h("tbody", {},
      row("Host name", f.hostname || "–"), row("OS", f.osName || "–"), row("Kernel", f.kernel || "–"),
      row("Architecture", f.arch || "–"), row("CPUs", String(f.cpuCount ?? "–")), row("Load (1, 5, 15 min)", load(f)),
      row("Memory", h("span", {}, memUsed(f), ` of ${bytes(f.memTotalBytes)}`)),
      row("Uptime", duration(f.uptimeSec)), row("Agent", n.agentVersion || "–"),
      row("nginx", c.nginx ? `yes (${c.nginxVersion || "?"})` : "no"),
      row("systemd", c.systemd ? `yes (${c.systemdVersion || "?"})` : "no"))),
    table([
      { title: "Mount", cell: ([m]) => m },
      { title: "Used", cell: ([, d]) => meter(d.totalBytes - d.freeBytes, d.totalBytes) },
      { title: "Free", cell: ([, d]) => bytes(d.freeBytes) },
      { title: "Size", cell: ([, d]) => bytes(d.totalBytes) },
    ], Object.entries(f.disk || {}), "No disk reported."));
}

export async function renderOne(main, [id], ctx) {
  const body = h("div");
  replace(main, body);
  await ctx.live(async () => {
    const [n, st, tasks] = await Promise.all([get(`/admin/nodes/${id}`), get(`/admin/nodes/${id}/status`),
      get(`/admin/tasks?nodeId=${id}&limit=20`)]);
    replace(body,
      h("div", { class: "title-row" }, h("h1", {}, n.name), badge(n.status), n.cordoned ? h("span", { class: "chip" }, "cordoned") : null),
      h("p", { class: "muted" }, `${n.ip} · `, labels(n.labels), " · last heartbeat ", when(n.lastHeartbeatAt)),
      ctx.can("admin:node:manage") ? h("div", { class: "buttons" },
        action(n.cordoned ? "Uncordon" : "Cordon", () => post(`/admin/nodes/${id}/${n.cordoned ? "uncordon" : "cordon"}`),
          { id: "cordon" })) : null,
      section("Machine", facts(n)),
      section("Managed state", h("p", {}, badge(st.status), " reported ", when(st.reportedAt)),
        table([
          { title: "Owner", cell: (o) => o.owner.startsWith("app:") ? link(`#/apps/${o.owner.slice(4)}`, o.owner) : o.owner || "(tasks)" },
          { title: "Status", cell: (o) => badge(o.status) },
          { title: "Items", cell: (o) => String(o.items ?? "–") },
          { title: "Drift", cell: (o) => (o.drift || []).map((d) => h("div", {}, `${d.item}: ${d.reason}`)) },
          { title: "Since", cell: (o) => when(o.since) },
        ], st.owners || [], "Nothing managed here yet.")),
      section("Recent tasks", table([
        { title: "Task", cell: (t) => `#${t.id}` },
        { title: "Type", cell: (t) => t.type },
        { title: "Status", cell: (t) => badge(t.status) },
        { title: "By", cell: (t) => t.createdBy },
        { title: "Finished", cell: (t) => when(t.finishedAt) },
        { title: "Error", cell: (t) => t.errorMessage || "" },
      ], tasks.items, "No task yet.")));
  }, 3000);
}
