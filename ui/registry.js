// The service registry: each service with its port and endpoint count;
// a service's endpoints (node, address, health, where they came from).
import { get, getAll } from "./api.js";
import { h, replace, badge, link, table, section } from "./dom.js";
import { t } from "./i18n.js";

export async function render(main, _params, ctx) {
  const body = h("div"), one = h("div", { id: "endpoints" });
  let open = null;
  const draw = async () => {
    const services = await getAll("/admin/registry/services");
    replace(body, table([
      { title: t("Service"), cell: (s) => h("a", { href: "#/registry", onclick: (ev) => { ev.preventDefault(); open = s.name; draw(); } }, s.name) },
      { title: t("Port"), cell: (s) => String(s.port ?? "–") },
      { title: t("Protocol"), cell: (s) => s.protocol || "" },
      { title: t("Endpoints"), cell: (s) => String(s.endpointCount ?? 0) },
    ], services, t("No service yet: applications with a service register their nodes.")));
    if (!open) return replace(one);
    const eps = await get(`/api/registry/services/${encodeURIComponent(open)}/endpoints`);
    replace(one, section(t("Endpoints of {0}", open), table([
      { title: t("Node"), cell: (e) => e.nodeId ? link(`#/nodes/${e.nodeId}`, String(e.nodeId)) : "–" },
      { title: t("Address"), cell: (e) => `${e.ip}:${e.port}` },
      { title: t("Health"), cell: (e) => badge(e.health) },
      { title: t("Source"), cell: (e) => e.source },
      { title: t("Version"), cell: (e) => e.version || "" },
    ], eps.items || eps, t("No endpoint."))));
  };
  replace(main, h("h1", {}, t("Registry")), body, one);
  await ctx.live(draw, 5000);
}
