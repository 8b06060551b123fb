// One release as it rolls out: its batches, each node's tasks, the policy's
// decisions, updated every second until it ends; and the buttons that steer it.
import { get, post } from "./api.js";
import { h, replace, badge, link, table, when, section, action } from "./dom.js";
import { diffView } from "./diff.js";
import { TERMINAL, releaseButtons, nodeNames, nodeRef } from "./apps.js";
import { t } from "./i18n.js";

function progress(rel) {
  const nodes = rel.nodes || [];
  const done = nodes.filter((n) => TERMINAL.includes(n.status) || n.status === "skipped").length;
  const pct = nodes.length ? Math.round((done / nodes.length) * 100) : 0;
  return h("div", { class: "progress", role: "progressbar", "aria-valuenow": pct, "aria-valuemin": 0, "aria-valuemax": 100 },
    h("div", { class: "progress-bar " + (rel.status === "failed" ? "bad" : "good"), style: `width:${pct}%` }),
    h("span", {}, `${done} of ${nodes.length} nodes done`));
}

function buttons(rel, app, ctx, refresh) {
  const step = (verb, label, perm, extra = {}) => ctx.can(perm) ? action(label, async () => {
    await post(`/admin/releases/${rel.id}/${verb}`);
    await refresh();
  }, { id: `release-${verb}`, ...extra }) : null;
  const s = rel.status;
  return h("div", { class: "buttons" },
    s === "created" || s === "approved" ? step("execute", t("Execute"), "admin:release:execute") : null,
    s === "created" ? step("approve", t("Approve"), "admin:release:approve") : null,
    s === "running" ? step("pause", t("Pause"), "admin:release:execute") : null,
    s === "paused" ? step("resume", t("Resume"), "admin:release:execute") : null,
    ["created", "approved", "running", "paused"].includes(s) ? step("cancel", t("Cancel"), "admin:release:execute", { class: "danger" }) : null,
    rel.id === app.currentReleaseId || s === "failed" || s === "paused" ? releaseButtons(rel, ctx) : null);
}

function batchView(rel, b, names) {
  const nodes = rel.nodes.filter((n) => n.batch === b.index);
  return h("div", { class: "batch", "data-batch": b.index },
    h("h3", {}, `Batch ${b.index}${b.canary ? " (canary)" : ""} `, badge(b.outcome || b.status || "waiting"),
      b.decision ? h("span", { class: "muted" }, ` ${b.decision.action}: ${b.decision.reason}`) : null),
    table([
      { title: t("Node"), cell: (n) => nodeRef(names, n.nodeId) },
      { title: t("Status"), cell: (n) => badge(n.status) },
      { title: t("Tasks"), cell: (n) => h("span", { class: "tasks" }, (n.tasks || []).map((t) =>
        h("span", { class: "task", title: t.errorMessage || "" }, badge(t.status), " ", t.type))) },
      { title: t("Error"), cell: (n) => n.error || "" },
      { title: t("Finished"), cell: (n) => when(n.finishedAt) },
    ], nodes, t("No node in this batch.")));
}

export async function render(main, [id], ctx) {
  const body = h("div");
  replace(main, body);
  const names = await nodeNames(ctx);
  let app = null;
  const refresh = async () => {
    const rel = await get(`/admin/releases/${id}`);
    app = app && app.currentReleaseId === rel.id ? app : await get(`/admin/apps/${rel.appId}`);
    replace(body,
      h("div", { class: "title-row" },
        h("h1", {}, link(`#/apps/${app.id}`, app.name), ` release v${rel.version}`),
        h("span", { id: "release-status" }, badge(rel.status))),
      h("p", { class: "muted" }, `${rel.kind}${rel.rollbackOf ? ` of #${rel.rollbackOf}` : ""} · by ${rel.createdBy}`,
        rel.approvedBy ? ` · approved by ${rel.approvedBy}` : "", " · created ", when(rel.createdAt),
        rel.finishedAt ? [" · finished ", when(rel.finishedAt)] : "", rel.note ? ` · “${rel.note}”` : ""),
      rel.error ? h("p", { class: "error" }, rel.error) : null,
      buttons(rel, app, ctx, refresh),
      progress(rel),
      section(t("Batches"), (rel.batches || []).length ? rel.batches.map((b) => batchView(rel, b, names))
        : h("p", { class: "empty" }, t("Batches are planned when the release is executed.")),
      (rel.plan && rel.plan.skipped || []).length ? h("p", { class: "muted" }, t("Skipped: ") +
        rel.plan.skipped.map((s) => `${names.get(s.nodeId) || s.nodeId} (${s.reason})`).join(", ")) : null),
      section(t("Changes"), diffView(rel.diffText, "before", `release v${rel.version}`)));
    return rel;
  };
  // live until it ends
  await ctx.live(async () => !TERMINAL.includes((await refresh()).status), 1000);
}
