// Policies: every Lua script pagodad runs (policies, templates, plugins)
// with where it comes from, its calls and its last error; reload them all.
import { get, post } from "./api.js";
import { h, replace, badge, table, when, action } from "./dom.js";
import { t } from "./i18n.js";

export async function render(main, _params, ctx) {
  const body = h("div");
  const list = (items) => replace(body, table([
    { title: t("Script"), cell: (p) => h("code", {}, p.path) },
    { title: t("Origin"), cell: (p) => p.origin },
    { title: t("Loaded"), cell: (p) => p.loaded ? badge("loaded") : badge("failed") },
    { title: t("Calls"), cell: (p) => String(p.calls ?? 0) },
    { title: t("Errors"), cell: (p) => String(p.errors ?? 0) },
    { title: t("Last error"), cell: (p) => p.lastError ? h("span", {}, p.lastError, " ", when(p.lastErrorAt)) : "" },
  ], items, t("No script loaded.")));
  replace(main, h("div", { class: "title-row" }, h("h1", {}, t("Policies")),
    action(t("Reload all"), async () => list((await post("/admin/policies/reload")).items), { id: "reload-policies" })), body);
  await ctx.live(async () => list((await get("/admin/policies")).items), 10000);
}
