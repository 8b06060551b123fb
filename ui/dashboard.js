// The first look: how many nodes answer, what is rolling out, what expires,
// what is alerting, what drifted.
import { get, getAll } from "./api.js";
import { h, replace, badge, link, table, when } from "./dom.js";
import { inFlight } from "./apps.js";
import { alertTable } from "./alerts.js";
import { t } from "./i18n.js";

function card(id, title, value, detail, kind) {
  return h("div", { class: "card " + (kind || ""), id },
    h("div", { class: "card-title" }, title), h("div", { class: "card-value" }, value), h("div", { class: "card-detail" }, detail));
}

// "node:3" and "app:2" lead to their pages, "cert:1" to the certificates.

// Each panel needs its read permission; a token without it gets no panel
// rather than a zero that would look like good news.
export async function render(main, _params, ctx) {
  const body = h("div");
  replace(main, h("h1", {}, t("Dashboard")), body);
  const ifCan = (perm, fetch) => (ctx.can(perm) ? fetch() : null);
  await ctx.live(async () => {
    const [nodes, certs, alerts, drift, running] = await Promise.all([
      ifCan("admin:node:read", () => getAll("/admin/nodes")),
      ifCan("admin:ssl:read", () => get("/admin/certificates").then((r) => r.items)),
      ifCan("admin:alert:read", () => get("/admin/alerts?status=firing").then((r) => r.items)),
      ifCan("admin:node:read", () => get("/admin/drift?status=drifted").then((r) => r.items)),
      ifCan("admin:app:read", inFlight),
    ]);
    const online = nodes && nodes.filter((n) => n.status === "online").length;
    const unacked = alerts && alerts.filter((a) => !a.acknowledgedBy).length;
    const expiring = certs && certs.filter((c) => c.current && c.current.daysLeft <= 30)
      .sort((a, b) => a.current.daysLeft - b.current.daysLeft);
    replace(body,
      h("div", { class: "cards" },
        nodes && card("card-nodes", t("Nodes online"), `${online} / ${nodes.length}`,
          `${nodes.length - online} offline`, nodes.length - online ? "warn" : "ok"),
        running && card("card-releases", t("Releases in flight"), String(running.length),
          running.length ? "rolling out now" : "none", ""),
        certs && card("card-certs", t("Certificates expiring ≤ 30 days"), String(expiring.length), `${certs.length} in all`,
          expiring.length ? "warn" : "ok"),
        alerts && card("card-alerts", t("Active alerts"), String(alerts.length), `${alerts.length - unacked} acknowledged`,
          unacked ? "bad" : alerts.length ? "warn" : "ok"),
        drift && card("card-drift", t("Drifted"), String(drift.length), "node and owner pairs", drift.length ? "warn" : "ok")),
      running && [h("h2", {}, t("Releases in flight")), table([
        { title: t("Release"), cell: (r) => link(`#/releases/${r.release.id}`, `${r.app.name} v${r.release.version}`) },
        { title: t("Kind"), cell: (r) => r.release.kind },
        { title: t("Status"), cell: (r) => badge(r.release.status) },
        { title: t("Started"), cell: (r) => when(r.release.startedAt || r.release.createdAt) },
      ], running, t("No release is rolling out."))],
      alerts && [h("h2", {}, t("Active alerts")), alertTable(alerts, ctx, t("No alert is active."))],
      certs && [h("h2", {}, t("Certificates expiring soon")), table([
        { title: t("Name"), cell: (c) => c.name },
        { title: t("Domains"), cell: (c) => c.domains.join(", ") },
        { title: t("Days left"), cell: (c) => String(c.current.daysLeft) },
      ], expiring, t("Nothing expires within 30 days."))]);
  }, 3000);
}
