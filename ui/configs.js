// Configuration: items, their versions, and any two versions side by side.
import { get, getAll } from "./api.js";
import { h, replace, badge, link, table, when, section } from "./dom.js";
import { diffView } from "./diff.js";
import { t } from "./i18n.js";

export async function renderList(main, _params, ctx) {
  const body = h("div");
  replace(main, h("h1", {}, t("Configuration")), body);
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

export async function renderOne(main, [id]) {
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
    ], versions)));
  await show();
}
