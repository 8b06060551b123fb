// Certificates: the list with days left, and a timeline of every current
// certificate's validity against today and the renewal window.
import { get, post, del } from "./api.js";
import { h, svg, replace, badge, table, when, section, action, confirmAction } from "./dom.js";
import { t } from "./i18n.js";
import { requestForm, importForm, deployForm } from "./cert_forms.js";
import { providerForm, providersSection } from "./dns_providers.js";

const DAY = 86400000;

function urgency(days) {
  return days < 0 ? "expired" : days <= 14 ? "bad" : days <= 30 ? "busy" : "good";
}

// From 30 days ago to past the last expiry; a bar per certificate.
export function timeline(certs) {
  const now = Date.now();
  const rows = certs.filter((c) => c.current);
  if (!rows.length) return h("p", { class: "empty" }, t("No certificate yet."));
  const start = now - 30 * DAY;
  const end = Math.max(now + 120 * DAY, ...rows.map((c) => Date.parse(c.current.notAfter) + 10 * DAY));
  const W = 900, left = 180, rowH = 28, top = 28, width = W - left - 20;
  const x = (t) => left + Math.max(0, Math.min(1, (t - start) / (end - start))) * width;
  const root = svg("svg", { viewBox: `0 0 ${W} ${top + rows.length * rowH + 10}`, class: "timeline", id: "cert-timeline",
    role: "img", "aria-label": "certificate validity timeline" });
  for (let t = Math.ceil(start / (30 * DAY)) * 30 * DAY; t < end; t += 30 * DAY) {
    root.append(svg("line", { x1: x(t), x2: x(t), y1: top - 6, y2: top + rows.length * rowH, class: "grid" }),
      svg("text", { x: x(t), y: 14, class: "tick" }, new Date(t).toISOString().slice(0, 10)));
  }
  rows.forEach((c, i) => {
    const y = top + i * rowH;
    const from = Date.parse(c.current.notBefore), to = Date.parse(c.current.notAfter);
    const g = svg("g", { class: "cert " + urgency(c.current.daysLeft), "data-cert": c.name });
    g.append(svg("text", { x: 4, y: y + 18, class: "label" }, c.name),
      svg("rect", { x: x(from), y: y + 4, width: Math.max(2, x(to) - x(from)), height: rowH - 10, rx: 3 }),
      svg("text", { x: Math.min(x(to) + 4, W - 60), y: y + 18, class: "days" }, `${c.current.daysLeft} d`));
    g.append(svg("title", {}, `${c.name}: ${c.current.notBefore.slice(0, 10)} → ${c.current.notAfter.slice(0, 10)}`));
    root.append(g);
  });
  root.append(svg("line", { x1: x(now), x2: x(now), y1: top - 10, y2: top + rows.length * rowH, class: "now" }),
    svg("text", { x: x(now) + 3, y: top - 12 + 10, class: "now-label" }, "today"));
  return root;
}

export async function render(main, _params, ctx) {
  const body = h("div"), forms = h("div", { id: "cert-forms" }); // a form stays open across redraws
  const open = async (title, make) => replace(forms, section(title, await make(),
    h("button", { type: "button", class: "quiet-dark", onclick: () => replace(forms) }, t("Close"))));
  let draw = async () => {};
  const closeAndDraw = () => { replace(forms); draw(); };
  const issue = ctx.can("admin:ssl:issue");
  const deleting = new Map(); // a Delete's armed state (by certificate id or provider name), across redraws
  const armed = (id) => deleting.get(id) || deleting.set(id, {}).get(id);
  replace(main, h("div", { class: "title-row" }, h("h1", {}, t("Certificates")), issue ? h("div", { class: "buttons" },
    action(t("Request a certificate"), () => open(t("Request a certificate"), () => requestForm(closeAndDraw)), { id: "cert-request-open" }),
    action(t("Import"), () => open(t("Import a certificate"), () => importForm(closeAndDraw)), { id: "cert-import-open", class: "quiet-dark" }),
    action(t("New DNS provider"), () => open(t("New DNS provider"), () => providerForm(ctx, closeAndDraw)), { id: "dns-open", class: "quiet-dark" }))
    : null), forms, body);
  draw = async () => {
    const certs = (await get("/admin/certificates")).items;
    certs.sort((a, b) => (a.current ? a.current.daysLeft : 1e9) - (b.current ? b.current.daysLeft : 1e9));
    replace(body,
      section(t("Expiry timeline"), timeline(certs)),
      section(t("All certificates"), table([
        { title: t("Name"), cell: (c) => c.name },
        { title: t("Domains"), cell: (c) => c.domains.join(", ") },
        { title: t("Source"), cell: (c) => c.source },
        { title: t("Status"), cell: (c) => badge(c.status) },
        { title: t("Issuer"), cell: (c) => (c.current && c.current.issuer) || "–" },
        { title: t("Expires"), cell: (c) => c.current ? when(c.current.notAfter) : "–" },
        { title: t("Days left"), cell: (c) => c.current ? h("span", { class: "days " + urgency(c.current.daysLeft) }, String(c.current.daysLeft)) : "–" },
        { title: t("Last error"), cell: (c) => c.lastError || "" },
        { title: "", cell: (c) => h("div", { class: "buttons" },
          c.source === "acme" && issue ? action(t("Renew now"), () => post(`/admin/certificates/${c.id}/renew`), { class: "quiet-dark" }) : null,
          c.current && ctx.can("admin:ssl:deploy") ? action(t("Deploy"), () => open(t("Deploy {0}", c.name), () => deployForm(c)),
            { class: "quiet-dark", id: `deploy-${c.id}` }) : null,
          issue ? confirmAction(t("Delete"), t("Nodes keep the files they have; a site that uses it must drop it first."), async () => {
            await del(`/admin/certificates/${c.id}`);
            await draw();
          }, { id: `delete-cert-${c.id}` }, armed(c.id)) : null) },
      ], certs, t("No certificate yet: `pagoda certs issue` or `pagoda certs import`."))),
      await providersSection(ctx, deleting, draw));
  };
  await ctx.live(draw, 10000);
}
