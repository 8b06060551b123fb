// The audit log: every state change, who made it, from where, filterable,
// paged by the API's cursor.
import { get } from "./api.js";
import { h, replace, table, when } from "./dom.js";
import { t } from "./i18n.js";

export async function render(main) {
  const body = h("div"), more = h("div");
  const filters = {
    actor: h("input", { name: "actor", placeholder: "actor, e.g. token:1:bootstrap" }),
    action: h("input", { name: "action", placeholder: "action, e.g. release.create" }),
    targetType: h("input", { name: "targetType", placeholder: "target type, e.g. app" }),
  };
  let cursor = null, rows = [];
  const draw = () => replace(body, table([
    { title: t("When"), cell: (e) => when(e.at) },
    { title: t("Actor"), cell: (e) => e.actor },
    { title: t("Action"), cell: (e) => h("code", {}, e.action) },
    { title: t("Target"), cell: (e) => `${e.targetType}${e.targetId ? " " + e.targetId : ""}` },
    { title: t("From"), cell: (e) => e.sourceIp || "" },
    { title: t("Details"), cell: (e) => e.details ? h("code", { class: "details" }, JSON.stringify(e.details)) : "" },
  ], rows, t("No event matches.")));
  const load = async (reset) => {
    const q = new URLSearchParams({ limit: "100" });
    for (const [k, el] of Object.entries(filters)) if (el.value.trim()) q.set(k, el.value.trim());
    if (!reset && cursor) q.set("cursor", cursor);
    const page = await get("/admin/audit?" + q);
    rows = reset ? page.items : rows.concat(page.items);
    cursor = page.next;
    draw();
    replace(more, cursor ? h("button", { type: "button", id: "audit-more", onclick: () => load(false) }, t("Older events")) : null);
  };
  replace(main, h("h1", {}, t("Audit log")),
    h("form", { class: "filters", onsubmit: (ev) => { ev.preventDefault(); load(true); } },
      Object.values(filters), h("button", { type: "submit" }, t("Filter"))), body, more);
  await load(true);
}
