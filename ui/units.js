// An application's units on its nodes, day to day: their state as systemd
// sees it (and a scheduled job's last runs), the logs read or followed
// live, and the buttons for a rolling restart and a job's "run now".
import { get, post, stream } from "./api.js";
import { h, replace, badge, bytes, table, section, action, errorBox } from "./dom.js";
import { t, fmtTime } from "./i18n.js";

const LOG_LINES_KEPT = 2000;

function isJob(app) {
  return app.type === "SystemdService" && !!(app.spec && app.spec.schedule);
}

// InspectUnit on every node, each answer as GET /admin/tasks/:id gives it.
async function inspect(app, body) {
  const out = await post(`/admin/apps/${app.id}/inspect`, body);
  return Promise.all(out.tasks.map(async (t) => {
    for (let i = 0; i < 80; i++) {
      const task = await get(`/admin/tasks/${t.taskId}`);
      if (["succeeded", "failed", "cancelled"].includes(task.status)) return { ...t, task };
      await new Promise((r) => setTimeout(r, 250));
    }
    return { ...t, task: null };
  }));
}

function unitRows(answers) {
  return answers.map(({ nodeName, site, task }) => {
    const u = task && task.result && task.result.unit;
    return { node: nodeName + (site ? ` ${site}` : ""), u,
      why: !task ? "no answer within 20 s (is its agent online?)" : u ? "" : task.errorMessage || "" };
  });
}

function runRows(answers) {
  return answers.flatMap(({ nodeName, task }) =>
    ((task && task.result && task.result.runs) || []).map((r) => ({ node: nodeName, ...r })));
}

function statusView(app, answers) {
  const job = isJob(app);
  return [
    table([
      { title: t("Node"), cell: (r) => r.node },
      { title: t("Active"), cell: (r) => r.u ? badge(r.u.activeState) : h("span", { class: "error" }, r.why) },
      { title: t("Sub"), cell: (r) => r.u ? r.u.subState : "" },
      { title: t("PID"), cell: (r) => r.u && r.u.mainPid ? String(r.u.mainPid) : "–" },
      { title: t("Since"), cell: (r) => r.u && r.u.since ? r.u.since : "–" },
      { title: t("Restarts"), cell: (r) => r.u ? String(r.u.restarts ?? "–") : "" },
      { title: t("Memory"), cell: (r) => r.u && r.u.memoryBytes ? bytes(r.u.memoryBytes) : "–" },
      { title: t("CPU"), cell: (r) => r.u && r.u.cpuNsec ? `${(r.u.cpuNsec / 1e9).toFixed(2)} s` : "–" },
    ], unitRows(answers), t("No node runs this application yet.")),
    job ? h("h3", {}, t("Last runs")) : null,
    job ? table([
      { title: t("Node"), cell: (r) => r.node },
      { title: t("Started"), cell: (r) => fmtTime(r.startedAtMs) },
      { title: t("Duration"), cell: (r) => r.durationMs !== undefined ? `${(r.durationMs / 1000).toFixed(1)} s` : "running" },
      { title: t("Result"), cell: (r) => badge(r.result) },
      { title: t("Exit"), cell: (r) => r.exitStatus ?? "" },
    ], runRows(answers), t("No run yet.")) : null,
  ];
}

// The logs pane: the last lines, or followed until stopped or the view goes.
function logsPane(app, ctx) {
  const pre = h("pre", { class: "logs", id: "logs", "aria-live": "polite" });
  const note = h("p", { class: "muted" });
  let ctl = null;
  const lines = [];
  const draw = () => {
    replace(pre, lines.join("\n"));
    pre.scrollTop = pre.scrollHeight;
  };
  const read = async (follow) => {
    if (ctl) ctl.abort();
    ctl = new AbortController();
    lines.length = 0;
    draw();
    replace(note, follow ? "Following: new lines appear as the nodes write them." : "");
    const mine = ctl;
    try {
      await stream(`/admin/apps/${app.id}/logs?lines=100${follow ? "&follow=true" : ""}`, (event, d) => {
        const tag = `[${d.node}${d.site ? " " + d.site : ""}]`;
        if (event === "line") lines.push(`${tag} ${d.line}`);
        else if (event === "error") lines.push(`${tag} (${d.message})`);
        else return;
        if (lines.length > LOG_LINES_KEPT) lines.splice(0, lines.length - LOG_LINES_KEPT);
        draw();
      }, mine.signal);
      if (mine === ctl) replace(note, follow ? "The stream ended." : "");
    } catch (e) {
      if (e.name !== "AbortError") replace(note, errorBox(e));
    }
  };
  ctx.onLeave(() => ctl && ctl.abort());
  const buttons = h("div", { class: "buttons" },
    action(t("Show logs"), () => read(false), { id: "logs-show", class: "quiet-dark" }),
    action(t("Follow"), async () => { read(true); }, { id: "logs-follow", class: "quiet-dark" }),
    action(t("Stop"), async () => { if (ctl) ctl.abort(); replace(note, t("Stopped.")); }, { id: "logs-stop", class: "quiet-dark" }));
  return [buttons, note, pre];
}

export function unitsSection(app, ctx) {
  if (!ctx.can("admin:node:logs")) return null;
  const status = h("div", { id: "unit-status" });
  const job = isJob(app);
  const showStatus = async () => {
    replace(status, h("p", { class: "loading" }, t("Asking each node…")));
    replace(status, statusView(app, await inspect(app, { lines: 1, runs: job ? 10 : 0 })));
  };
  return section(app.type === "ReverseProxy" ? t("Sites' logs") : t("Units and logs"),
    h("div", { class: "buttons" },
      app.type === "SystemdService" && ctx.can("admin:node:read") ? action(t("Unit status"), showStatus, { id: "unit-status-button", class: "quiet-dark" }) : null,
      app.type === "SystemdService" && !job && ctx.can("admin:release:execute") && app.currentReleaseId ? action(t("Rolling restart"), async () => {
        if (!confirm(`Restart ${app.name} on every node, in batches, health-gated?`)) return;
        const rel = await post(`/admin/apps/${app.id}/restart`, { note: "from the console" });
        ctx.go(`#/releases/${rel.id}`);
      }, { id: "app-restart" }) : null,
      job && ctx.can("admin:release:execute") && app.currentReleaseId ? action(t("Run now"), async () => {
        await post(`/admin/apps/${app.id}/run`);
        if (ctx.can("admin:node:read")) await showStatus();
      }, { id: "app-run" }) : null),
    status, h("h3", {}, t("Logs")), logsPane(app, ctx));
}
