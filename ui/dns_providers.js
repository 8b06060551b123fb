// Stored DNS providers (for DNS-01): the list with their zones, a form that
// makes or replaces one (credentials sealed, masked in answers, so a
// replacement writes them whole) and delete in two clicks.
import { get, getAll, put, del } from "./api.js";
import { h, table, when, field, form, confirmAction, parseJson, section } from "./dom.js";
import { t } from "./i18n.js";

const words = (text) => text.split(/[\s,]+/).map((w) => w.trim()).filter(Boolean);

// The DNS plugins pagodad has loaded, when the token may list them.
async function dnsPlugins(ctx) {
  if (!ctx.can("admin:policy:manage")) return null;
  return (await get("/admin/policies")).items.map((p) => p.path.match(/^plugins\/dns\/(.+)\.lua$/))
    .filter(Boolean).map((m) => m[1]);
}

export async function providerForm(ctx, done) {
  const plugins = await dnsPlugins(ctx);
  const f = {
    name: h("input", { name: "name", required: true, "data-field": "name", placeholder: "example-com" }),
    plugin: plugins ? h("select", { name: "plugin", "data-field": "plugin" }, plugins.map((p) => h("option", { value: p }, p)))
      : h("input", { name: "plugin", required: true, "data-field": "plugin", placeholder: "cloudflare" }),
    zones: h("input", { name: "zones", required: true, "data-field": "zones", placeholder: "example.com" }),
    config: h("textarea", { name: "config", rows: 4, spellcheck: "false", required: true, "data-field": "config",
      placeholder: '{"apiToken": "..."}' }),
    resolvers: h("input", { name: "resolvers", "data-field": "resolvers", placeholder: "192.0.2.53:53" }),
  };
  return form("dns-form", [
    field(t("Name"), f.name, t("a provider of the same name is replaced")), field(t("Plugin"), f.plugin),
    field(t("Zones"), f.zones, t("requests whose domains all lie in them get DNS-01 through it")),
    field(t("Settings (JSON)"), f.config, t("the plugin's settings and credentials; sealed at rest")),
    field(t("Resolvers"), f.resolvers, t("optional: IPv4[:port], comma separated")),
  ], t("Save"), async () => {
    const body = { plugin: f.plugin.value.trim(), zones: words(f.zones.value), config: parseJson(f.config.value, "config") };
    if (f.resolvers.value.trim()) body.resolvers = words(f.resolvers.value);
    await put(`/admin/dns-providers/${encodeURIComponent(f.name.value.trim())}`, body);
    done();
  });
}

// The providers' table; armed keeps each Delete's state across redraws.
export async function providersSection(ctx, armed, redraw) {
  const providers = await getAll("/admin/dns-providers");
  const keep = (name) => armed.get(name) || armed.set(name, {}).get(name);
  return section(t("DNS providers"), table([
    { title: t("Name"), cell: (p) => p.name },
    { title: t("Plugin"), cell: (p) => p.plugin },
    { title: t("Zones"), cell: (p) => (p.zones || []).join(", ") },
    { title: t("Updated"), cell: (p) => when(p.updatedAt) },
    { title: "", cell: (p) => ctx.can("admin:ssl:issue") ? confirmAction(t("Delete"),
      t("Certificates that name it must drop it first."), async () => {
        await del(`/admin/dns-providers/${encodeURIComponent(p.name)}`);
        await redraw();
      }, { id: `delete-dns-${p.name}` }, keep(p.name)) : "" },
  ], providers, t("No DNS provider: DNS-01 requests then name their plugin and settings themselves.")));
}
