// Tasks: the newest first, filtered by status, each with its error; a
// pending or running one can be cancelled (its dependents with it).
import { getAll, post } from "./api.js";
import { h, replace, badge, link, table, when, action } from "./dom.js";
import { t } from "./i18n.js";

const STATUSES = ["", "pending", "running", "succeeded", "failed", "cancelled"];
let status = "";

export async function render(main, _params, ctx) {
  const body = h("div");
  const pick = h("select", { id: "task-status" }, STATUSES.map((s) => h("option", { value: s }, s || t("every status"))));
  pick.value = status;
  const draw = async () => {
    const tasks = await getAll(`/admin/tasks?limit=200${status ? "&status=" + status : ""}`, 200);
    replace(body, table([
      { title: t("Task"), cell: (x) => `#${x.id}` },
      { title: t("Node"), cell: (x) => link(`#/nodes/${x.nodeId}`, String(x.nodeId)) },
      { title: t("Type"), cell: (x) => x.type },
      { title: t("Status"), cell: (x) => badge(x.status) },
      { title: t("Attempt"), cell: (x) => String(x.attempt) },
      { title: t("By"), cell: (x) => x.createdBy },
      { title: t("Created"), cell: (x) => when(x.createdAt) },
      { title: t("Error"), cell: (x) => x.errorMessage || "" },
      { title: "", cell: (x) => (x.status === "pending" || x.status === "running") && ctx.can("admin:node:manage")
        ? action(t("Cancel"), async () => { await post(`/admin/tasks/${x.id}/cancel`); await draw(); },
          { id: `cancel-${x.id}`, class: "quiet-dark" }) : "" },
    ], tasks, t("No task yet.")));
  };
  pick.addEventListener("change", () => { status = pick.value; draw(); });
  replace(main, h("div", { class: "title-row" }, h("h1", {}, t("Tasks")), pick), body);
  await ctx.live(draw, 5000);
}
