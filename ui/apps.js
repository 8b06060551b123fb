// Applications: what is wanted (the spec and its current release) against
// what each node has (drift verdicts), the release history with diffs, and
// the buttons that create, execute and roll back releases.
import { get, getAll, post, put, del } from "./api.js";
import { h, replace, badge, link, table, when, section, action, confirmAction, field, form } from "./dom.js";
import { diffView } from "./diff.js";
import { appForm } from "./app_form.js";
import { unitsSection } from "./units.js";
import { t } from "./i18n.js";

const IN_FLIGHT = ["running", "paused"];

// Node id → name, for the tokens that may read nodes (others see ids).
export async function nodeNames(ctx) {
  return new Map(ctx.can("admin:node:read") ? (await getAll("/admin/nodes")).map((n) => [n.id, n.name]) : []);
}

// A node named and linked to its page, or its id when the token may not read nodes.
export function nodeRef(names, id) {
  return names.has(id) ? link(`#/nodes/${id}`, names.get(id)) : `#${id}`;
}

// Releases rolling out now, across applications: [{ app, release }].
export async function inFlight() {
  const apps = await getAll("/admin/apps");
  const lists = await Promise.all(apps.map((a) => get(`/admin/apps/${a.id}/releases?limit=10`)));
  return apps.flatMap((app, i) => lists[i].items.filter((r) => IN_FLIGHT.includes(r.status)).map((release) => ({ app, release })));
}

// An application's state in one word, as the API derives it from its
// releases and nodes: running 3/3, degraded 1/3, failed, never deployed.
export function stateBadge(state) {
  const counted = !["never_deployed", "stopped"].includes(state.phase);
  const kind = { running: "good", degraded: "bad", failed: "bad", deploying: "busy" }[state.phase] || "neutral";
  return h("span", { class: "state" },
    h("span", { class: "badge " + kind, "data-state": state.phase }, state.phase.replaceAll("_", " ")),
    counted ? ` ${state.healthy}/${state.total}` : "",
    state.lastReleaseFailed && state.phase !== "failed" ? h("span", { class: "muted" }, " · last release failed") : null);
}

export async function renderList(main, _params, ctx) {
  const body = h("div");
  replace(main, h("div", { class: "title-row" }, h("h1", {}, t("Applications")),
    ctx.can("admin:app:write") ? h("a", { class: "button", href: "#/apps/new", id: "new-app" }, t("New application")) : null), body);
  await ctx.live(async () => {
    const apps = await getAll("/admin/apps");
    const status = await Promise.all(apps.map((a) => get(`/admin/apps/${a.id}/status`).catch(() => null)));
    replace(body, table([
      { title: t("Name"), cell: ({ a }) => link(`#/apps/${a.id}`, `${a.namespace}/${a.name}`) },
      { title: t("Type"), cell: ({ a }) => a.type },
      { title: t("Selector"), cell: ({ a }) => a.selector.labels || JSON.stringify(a.selector) },
      { title: t("State"), cell: ({ st }) => st && st.state ? stateBadge(st.state) : "–" },
      { title: t("Nodes"), cell: ({ st }) => st ? badge(st.status) : "–" },
      { title: t("Current release"), cell: ({ a }) => a.currentReleaseId ? link(`#/releases/${a.currentReleaseId}`, `#${a.currentReleaseId}`) : "none" },
      { title: t("Updated"), cell: ({ a }) => when(a.updatedAt) },
    ], apps.map((a, i) => ({ a, st: status[i] })), t("No application yet.")));
  }, 5000);
}

// A site of a ReverseProxy application: domains to a registry service, over
// TLS with a certificate of the certificate center when one is chosen.
async function siteForm(app, done) {
  const [services, certs] = await Promise.all([getAll("/admin/registry/services"), get("/admin/certificates")]);
  const f = {
    domains: h("input", { name: "domains", required: true, placeholder: "www.example.com, example.com", "data-field": "domains" }),
    path: h("input", { name: "path", value: "/", "data-field": "paths" }),
    service: h("select", { name: "service", "data-field": "paths[0].service" }, services.map((sv) => h("option", { value: sv.name }, sv.name))),
    strategy: h("select", { name: "upstreamStrategy", "data-field": "upstreamStrategy" },
      h("option", { value: "A" }, t("A: every endpoint (nginx skips failing ones)")),
      h("option", { value: "B" }, t("B: healthy endpoints only"))),
    cert: h("select", { name: "certificateId", "data-field": "tls" }, h("option", { value: "" }, t("none (plain HTTP)")),
      certs.items.map((c) => h("option", { value: c.id }, `${c.name} (${c.domains.join(", ")})`))),
  };
  return h("div", {}, form("site-form", [
    field(t("Domains"), f.domains, t("comma separated")), field(t("Path"), f.path), field(t("Service"), f.service,
      services.length ? t("a service of the registry; its endpoints become the upstream") : t("the registry has no service yet")),
    field(t("Upstreams"), f.strategy), field(t("TLS certificate"), f.cert),
  ], t("Add site"), async () => {
    const body = {
      domains: f.domains.value.split(",").map((d) => d.trim()).filter(Boolean),
      paths: [{ path: f.path.value.trim() || "/", service: f.service.value }],
      upstreamStrategy: f.strategy.value,
    };
    if (f.cert.value) body.tls = { certificateId: Number(f.cert.value), redirect: true };
    await post(`/admin/apps/${app.id}/ingresses`, body);
    done();
  }), h("button", { type: "button", class: "quiet-dark", onclick: done }, t("Cancel")));
}

export async function renderNew(main, _params, ctx) {
  replace(main, h("h1", {}, t("New application")), appForm(null, async (body) => {
    const app = await post("/admin/apps", body);
    ctx.go(`#/apps/${app.id}`);
  }));
}

export const TERMINAL = ["succeeded", "failed", "rolled_back", "cancelled"];

function driftList(x) {
  if (!x.drift || !x.drift.length) return x.reason || "";
  return h("ul", { class: "drift" }, x.drift.map((d) => h("li", {}, `${d.item}: ${d.reason}`)));
}

// What an ingress turns on beyond proxying, as chips.
function siteFeatures(i) {
  const f = [];
  const n = (count, word) => `${count} ${word}${count > 1 ? "s" : ""}`;
  if (i.tls && i.tls.redirect) f.push("HTTP→HTTPS");
  if (i.hsts) f.push(`HSTS ${i.hsts.maxAge ?? ""}`.trim());
  if (i.rateLimit) f.push(`limit ${i.rateLimit.rate}`);
  const statics = (i.paths || []).filter((p) => p.static);
  if (statics.length) f.push(statics.some((p) => p.static.spa) ? "static (SPA)" : "static");
  if (i.balancing && i.balancing !== "round_robin") f.push(i.balancing);
  if ((i.rewrites || []).length) f.push(n(i.rewrites.length, "rewrite"));
  if (i.headers && Object.keys(i.headers).length) f.push(n(Object.keys(i.headers).length, "header"));
  if (i.proxyTimeouts) f.push("timeouts");
  if (i.clientMaxBodySize) f.push(`body ≤ ${i.clientMaxBodySize}`);
  return f.length ? f.map((x) => h("span", { class: "chip" }, x)) : "–";
}

export async function renderOne(main, [id], ctx) {
  const deleting = {}, deletingSite = new Map(); // the Delete buttons' armed state, across redraws
  const head = h("div"), state = h("div"), sites = h("div"), units = h("div"), history = h("div"), editor = h("div");
  replace(main, head, state, sites, units, history, editor);
  const names = await nodeNames(ctx);
  // drawn once: the logs pane keeps its stream across the live refreshes
  replace(units, unitsSection(await get(`/admin/apps/${id}`), ctx));
  let editing = false, siteFormOpen = false;
  const open = new Map(); // release id → its diff text, for the rows whose diff is shown
  await ctx.live(async () => {
    const [app, st, rels] = await Promise.all([
      get(`/admin/apps/${id}`), get(`/admin/apps/${id}/status`), get(`/admin/apps/${id}/releases?limit=50`)]);
    const current = rels.items.find((r) => r.id === app.currentReleaseId);
    replace(head,
      h("div", { class: "title-row" }, h("h1", {}, `${app.namespace}/${app.name}`), st.state ? stateBadge(st.state) : badge(st.status)),
      h("p", { class: "muted" }, `${app.type} · ${app.desiredState} · selector ${app.selector.labels || "(all)"} · batches of ${app.strategy.batchSize || 1} · rollback ${app.rollback}`),
      h("div", { class: "buttons" },
        ctx.can("admin:app:write") ? action(t("New release"), async () => {
          const rel = await post(`/admin/apps/${id}/releases`, { note: "from the console" });
          ctx.go(`#/releases/${rel.id}`);
        }, { id: "new-release" }) : null,
        ctx.can("admin:app:write") && !editing ? action(t("Edit"), async () => {
          editing = true;
          replace(editor, section(t("Edit"), appForm(app, async (body) => {
            await put(`/admin/apps/${id}`, body);
            editing = false;
            replace(editor);
          })));
        }, { id: "edit-app" }) : null,
        ctx.can("admin:app:write") ? confirmAction(t("Delete"),
          t("Stops it on every node (units stopped, sites removed), then deletes the application."), async () => {
            await del(`/admin/apps/${id}?force=true`);
            ctx.go("#/apps");
          }, { id: "delete-app" }, deleting) : null));
    replace(state, section(t("Desired vs actual"),
      h("p", { class: "muted" }, current ? `Desired: release v${current.version} (${current.kind}, #${current.id})` : t("Desired: nothing released yet")),
      table([
        { title: t("Node"), cell: (x) => nodeRef(names, x.nodeId) },
        { title: t("Actual"), cell: (x) => badge(x.status) },
        { title: t("Items"), cell: (x) => String(x.items ?? "–") },
        { title: t("Detail"), cell: driftList },
        { title: t("Decision"), cell: (x) => x.decision ? `${x.decision.action}: ${x.decision.reason}` : "" },
        { title: t("Since"), cell: (x) => when(x.since) },
      ], st.nodes, t("No node runs this application yet."))));
    if (!siteFormOpen) replace(sites, app.type === "ReverseProxy" || (app.ingresses || []).length ? section(t("Sites"), table([
      { title: t("Domains"), cell: (i) => (i.domains || []).join(", ") },
      { title: t("Paths"), cell: (i) => i.paths.map((p) => h("div", {}, `${p.path} → ${p.static ? "static files" : p.service}`)) },
      { title: "TLS", cell: (i) => i.tls && i.tls.certificateId ? `certificate #${i.tls.certificateId}` : "no" },
      { title: t("Upstreams"), cell: (i) => i.upstreamStrategy === "B" ? "healthy endpoints only" : "every endpoint" },
      { title: t("Features"), cell: siteFeatures },
      { title: "nginx site", cell: (i) => h("code", {}, i.nginxSiteName) },
      { title: "", cell: (i) => ctx.can("admin:app:write") ? confirmAction(t("Delete"),
        t("The site stays on the nodes until the next release removes it."), () => del(`/admin/ingresses/${i.id}`),
        { id: `delete-site-${i.id}` }, deletingSite.get(i.id) || deletingSite.set(i.id, {}).get(i.id)) : "" },
    ], app.ingresses || [], t("No site yet: add one, then release the application to deploy it.")),
    app.type === "ReverseProxy" && ctx.can("admin:app:write") ? action(t("Add site"), async () => {
      siteFormOpen = true;
      replace(sites, section(t("Add a site"), await siteForm(app, () => { siteFormOpen = false; })));
    }, { id: "add-site" }) : null) : null);
    const drawHistory = () => replace(history, section(t("Releases"), rels.items.length ? h("table", { id: "releases" },
      h("thead", {}, h("tr", {}, [t("Version"), t("Kind"), t("Status"), t("By"), t("Created"), t("Note"), ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, rels.items.map((r) => [
        h("tr", { "data-release": r.id },
          h("td", {}, link(`#/releases/${r.id}`, `v${r.version}`)),
          h("td", {}, r.diff && r.diff.restart ? "restart" : r.kind + (r.rollbackOf ? ` of #${r.rollbackOf}` : "")),
          h("td", {}, badge(r.status), r.id === app.currentReleaseId ? h("span", { class: "chip" }, "current") : null),
          h("td", {}, r.createdBy), h("td", {}, when(r.createdAt)), h("td", {}, r.note || ""),
          h("td", {}, h("div", { class: "buttons" }, action(open.has(r.id) ? t("Hide diff") : t("Diff"), async () => {
            if (open.has(r.id)) open.delete(r.id);
            else open.set(r.id, (await get(`/admin/releases/${r.id}`)).diffText);
            drawHistory();
          }, { class: "quiet-dark show-diff" }), r.id === app.currentReleaseId ? releaseButtons(r, ctx) : null))),
        open.has(r.id) ? h("tr", { class: "diff-row" }, h("td", { colspan: 7 },
          diffView(open.get(r.id), "before", `v${r.version}`))) : null,
      ]))) : h("p", { class: "empty" }, t("No release yet."))));
    drawHistory();
  }, 2000);
}

// Rollback goes back to the release before r (the API's default); offered
// on the current release, the one an operator wants undone.
export function releaseButtons(r, ctx) {
  const out = [];
  if (ctx.can("admin:release:rollback") && ["succeeded", "failed", "paused"].includes(r.status) && r.previousReleaseId)
    out.push(action(t("Roll back"), async () => {
      if (!confirm(`Roll back release #${r.id} to the release before it (#${r.previousReleaseId})?`)) return;
      const rb = await post(`/admin/releases/${r.id}/rollback`, {});
      ctx.go(`#/releases/${rb.id}`);
    }, { class: "danger rollback", "data-release": r.id }));
  return out;
}
