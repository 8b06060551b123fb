// The service registry: each service with its port and endpoint count;
// a service's endpoints (node, address, health, where they came from).
// With admin:registry:write: services made and deleted, static endpoints
// added, marked healthy or unhealthy, removed (an agent's own endpoints
// follow its probes, so they are not edited here).
import { get, getAll, post, put, del } from "./api.js";
import { h, replace, badge, link, table, section, field, form, action, confirmAction } from "./dom.js";
import { t } from "./i18n.js";

function serviceForm(done) {
  const f = {
    name: h("input", { name: "name", required: true, "data-field": "name", placeholder: "billing-api" }),
    protocol: h("select", { name: "protocol", "data-field": "protocol" }, ["http", "tcp"].map((p) => h("option", { value: p }, p))),
    port: h("input", { name: "port", type: "number", required: true, "data-field": "port" }),
    check: h("select", { name: "check", "data-field": "healthCheck.type" }, ["tcp", "http"].map((p) => h("option", { value: p }, p))),
    path: h("input", { name: "path", placeholder: "/healthz", "data-field": "healthCheck.path" }),
  };
  return form("service-form", [field(t("Name"), f.name), field(t("Protocol"), f.protocol), field(t("Port"), f.port),
    field(t("Health check"), f.check), field(t("Path"), f.path, t("http only"))], t("Create service"), async () => {
    const healthCheck = { type: f.check.value };
    if (f.path.value.trim()) healthCheck.path = f.path.value.trim();
    await post("/admin/registry/services", { name: f.name.value.trim(), protocol: f.protocol.value,
      port: Number(f.port.value), healthCheck });
    done(f.name.value.trim());
  });
}

function endpointForm(service, done) {
  const f = {
    ip: h("input", { name: "ip", required: true, "data-field": "ip", placeholder: "10.0.0.5" }),
    port: h("input", { name: "port", type: "number", required: true, "data-field": "port" }),
    weight: h("input", { name: "weight", type: "number", min: 1, value: 1, "data-field": "weight" }),
  };
  return form("endpoint-form", [field(t("Address"), f.ip), field(t("Port"), f.port), field(t("Weight"), f.weight)],
    t("Add endpoint"), async () => {
      const body = { ip: f.ip.value.trim(), port: Number(f.port.value), weight: Number(f.weight.value) };
      await post(`/admin/registry/services/${encodeURIComponent(service)}/endpoints`, body);
      done();
    });
}

export async function render(main, _params, ctx) {
  const body = h("div"), one = h("div", { id: "endpoints" }), adding = h("div");
  const write = ctx.can("admin:registry:write");
  const armed = new Map(); // service/endpoint → a Delete's armed state, across redraws
  const keep = (key) => { if (!armed.has(key)) armed.set(key, {}); return armed.get(key); };
  let open = null, endpointsFor = null;
  const draw = async () => {
    const services = await getAll("/admin/registry/services");
    replace(body, table([
      { title: t("Service"), cell: (s) => h("a", { href: "#/registry", onclick: (ev) => { ev.preventDefault(); open = s.name; draw(); } }, s.name) },
      { title: t("Port"), cell: (s) => String(s.port ?? "–") },
      { title: t("Protocol"), cell: (s) => s.protocol || "" },
      { title: t("Endpoints"), cell: (s) => s.endpoints ? t("{0} of {1} healthy", s.endpoints.healthy, s.endpoints.total) : "–" },
      { title: "", cell: (s) => write ? confirmAction(t("Delete"), t("Deletes the service and its endpoints."), async () => {
        await del(`/admin/registry/services/${encodeURIComponent(s.name)}`);
        if (open === s.name) open = null;
        await draw();
      }, { id: `delete-service-${s.name}` }, keep("s:" + s.name)) : "" },
    ], services, t("No service yet: applications with a service register their nodes.")));
    if (!open) return replace(one);
    const base = `/admin/registry/services/${encodeURIComponent(open)}/endpoints`;
    const eps = await get(`/api/registry/services/${encodeURIComponent(open)}/endpoints`);
    replace(one, section(t("Endpoints of {0}", open), table([
      { title: t("Node"), cell: (e) => e.nodeId ? link(`#/nodes/${e.nodeId}`, String(e.nodeId)) : "–" },
      { title: t("Address"), cell: (e) => `${e.ip}:${e.port}` },
      { title: t("Health"), cell: (e) => badge(e.health) },
      { title: t("Source"), cell: (e) => e.source },
      { title: t("Version"), cell: (e) => e.version || "" },
      { title: "", cell: (e) => write && e.source === "static" ? h("div", { class: "buttons" },
        action(e.health === "healthy" ? t("Mark unhealthy") : t("Mark healthy"), async () => {
          await put(`${base}/${e.id}`, { health: e.health === "healthy" ? "unhealthy" : "healthy" });
          await draw();
        }, { class: "quiet-dark", id: `health-${e.id}` }),
        confirmAction(t("Remove"), t("Takes it out of every upstream that uses the service."), async () => {
          await del(`${base}/${e.id}`);
          await draw();
        }, { id: `remove-${e.id}` }, keep("e:" + e.id))) : "" },
    ], eps.items || eps, t("No endpoint.")),
    write && endpointsFor !== open ? action(t("Add endpoint"), () => {
      endpointsFor = open;
      replace(adding, section(t("Add an endpoint to {0}", open), endpointForm(open, () => { endpointsFor = null; replace(adding); draw(); })));
      return draw();
    }, { id: "add-endpoint" }) : null));
  };
  replace(main, h("div", { class: "title-row" }, h("h1", {}, t("Registry")), write ? action(t("New service"), () =>
    replace(adding, section(t("New service"), serviceForm((name) => { open = name; replace(adding); draw(); }))),
  { id: "new-service" }) : null), adding, body, one);
  await ctx.live(draw, 5000);
}
