// Configuration: items, their versions, and any two versions side by side;
// with admin:config:write also a new item, a new version, publishing (the
// change shown before it goes out) and rolling back. A secret item's values
// are never shown: its new version is written whole.
import { get, getAll, post, put } from "./api.js";
import { h, replace, badge, link, table, when, section, action, field, form } from "./dom.js";
import { diffView } from "./diff.js";
import { t } from "./i18n.js";

export async function renderList(main, _params, ctx) {
  const body = h("div");
  replace(main, h("div", { class: "title-row" }, h("h1", {}, t("Configuration")),
    ctx.can("admin:config:write") ? h("a", { class: "button", href: "#/configs/new", id: "new-config" }, t("New item")) : null), body);
  await ctx.live(async () => {
    const items = await getAll("/admin/configs");
    replace(body, table([
      { title: t("Name"), cell: (c) => link(`#/configs/${c.id}`, `${c.namespace}/${c.name}`) },
      { title: t("Format"), cell: (c) => c.format + (c.secret ? " (secret)" : "") + (c.template ? " (template)" : "") },
      { title: t("Latest"), cell: (c) => `v${c.latestVersion}` },
      { title: t("Published"), cell: (c) => c.releasedVersion ? `v${c.releasedVersion}` : "never" },
      { title: t("Updated"), cell: (c) => when(c.updatedAt) },
    ], items, t("No configuration item yet.")));
  }, 10000);
}

function select(id, versions, value) {
  const s = h("select", { id }, versions.map((v) => h("option", { value: v.version }, `v${v.version} · ${v.author}${v.message ? " · " + v.message : ""}`)));
  s.value = String(value);
  return s;
}

export async function renderNew(main, _params, ctx) {
  const f = {
    namespace: h("input", { name: "namespace", value: "default" }),
    name: h("input", { name: "name", required: true, placeholder: "shop/app.conf" }),
    format: h("select", { name: "format" }, ["text", "json", "yaml", "ini", "env"].map((v) => h("option", { value: v }, v))),
    content: h("textarea", { name: "content", rows: 10, spellcheck: "false" }),
    secret: h("input", { name: "secret", type: "checkbox" }),
    template: h("input", { name: "template", type: "checkbox" }),
    message: h("input", { name: "message", placeholder: t("what it is for") }),
  };
  replace(main, h("h1", {}, t("New configuration item")), form("config-form", [
    field(t("Namespace"), f.namespace), field(t("Name"), f.name), field(t("Format"), f.format),
    field(t("Content"), f.content), field(t("Secret"), f.secret, t("sealed in the store, never shown again")),
    field(t("Template"), f.template, t("rendered per node ({{ node.name }}, ...)")), field(t("Message"), f.message),
  ], t("Create item"), async () => {
    const c = await post("/admin/configs", { namespace: f.namespace.value.trim(), name: f.name.value.trim(),
      format: f.format.value, content: f.content.value, secret: f.secret.checked, template: f.template.checked,
      message: f.message.value || undefined });
    ctx.go(`#/configs/${c.id}`);
  }));
}

// A new version, and publishing one: what would change is shown first.
function writeSection(c, versions, redraw) {
  const content = h("textarea", { name: "content", rows: 10, spellcheck: "false" });
  content.value = c.secret ? "" : ((c.current && c.current.content) || "");
  const message = h("input", { name: "message" });
  const edit = form("config-edit", [
    c.secret ? h("p", { class: "muted" }, t("A secret's values are never shown: write the whole new content.")) : null,
    field(t("Content"), content), field(t("Message"), message),
  ], t("Save as a new version"), async () => {
    await put(`/admin/configs/${c.id}`, { content: content.value, message: message.value || undefined });
    await redraw();
  });
  const pick = select("publish-version", versions, versions[0] ? versions[0].version : 1);
  const preview = h("div", { id: "publish-preview" });
  const review = action(t("Review"), async () => {
    const v = Number(pick.value), from = c.releasedVersion;
    // what goes out: the change from the published version, or all of it the first time
    let what;
    if (from) {
      const d = await get(`/admin/configs/${c.id}/diff?from=${from}&to=${v}`);
      what = [h("p", {}, t("Published v{0} → v{1}:", from, v)),
        d.masked ? h("p", { class: "muted" }, t("Secret values are masked.")) : null, diffView(d.diff, `v${from}`, `v${v}`)];
    } else {
      const one = await get(`/admin/configs/${c.id}/versions/${v}`);
      what = [h("p", {}, t("First publication of v{0}:", v)), one.secret
        ? h("p", { class: "muted" }, t("A secret's values are never shown."))
        : h("pre", { class: "content", id: "publish-content" }, (one.current && one.current.content) || "")];
    }
    replace(preview, ...what,
      h("div", { class: "buttons" }, action(t("Publish v{0}", v), async () => {
        await post(`/admin/configs/${c.id}/publish`, { version: v, note: "from the console" });
        await redraw();
      }, { id: "publish-confirm" })));
  }, { id: "publish-review" });
  return section(t("Change"), edit,
    h("h3", {}, t("Publish")), h("div", { class: "buttons" }, pick, review,
      c.releasedVersion > 1 ? action(t("Roll back"), async () => {
        await post(`/admin/configs/${c.id}/rollback`, { note: "from the console" });
        await redraw();
      }, { id: "config-rollback", class: "quiet-dark" }) : null), preview);
}

export async function renderOne(main, [id], ctx) {
  const [c, versions] = await Promise.all([get(`/admin/configs/${id}`), getAll(`/admin/configs/${id}/versions`)]);
  const out = h("div", { id: "config-diff" });
  const latest = versions[0] ? versions[0].version : 1;
  const from = select("diff-from", versions, Math.max(1, latest - 1)), to = select("diff-to", versions, latest);
  const show = async () => {
    const d = await get(`/admin/configs/${id}/diff?from=${from.value}&to=${to.value}`);
    replace(out, d.masked ? h("p", { class: "muted" }, t("Secret values are masked.")) : null,
      diffView(d.diff, `v${from.value}`, `v${to.value}`));
  };
  from.addEventListener("change", show);
  to.addEventListener("change", show);
  const redraw = () => renderOne(main, [id], ctx);
  replace(main,
    h("div", { class: "title-row" }, h("h1", {}, `${c.namespace}/${c.name}`),
      c.releasedVersion ? badge("published") : badge("draft")),
    h("p", { class: "muted" }, `${c.format}${c.secret ? " · secret" : ""} · latest v${c.latestVersion} · published ${c.releasedVersion ? "v" + c.releasedVersion : "never"}`),
    section(t("Compare"), h("div", { class: "buttons" }, t("From "), from, " to ", to), out),
    section(t("Versions"), table([
      { title: t("Version"), cell: (v) => `v${v.version}` },
      { title: t("Author"), cell: (v) => v.author },
      { title: t("Message"), cell: (v) => v.message || "" },
      { title: t("SHA-256"), cell: (v) => h("code", {}, v.sha256.slice(0, 12)) },
      { title: t("Size"), cell: (v) => `${v.size} B` },
      { title: t("Created"), cell: (v) => when(v.createdAt) },
    ], versions)),
    ctx && ctx.can("admin:config:write") ? writeSection(c, versions, redraw) : null);
  await show();
}
