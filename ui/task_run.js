// Tasks queued from the console: a table of them that follows their status
// until each has ended (with exit code, output and result), and the form
// that runs one task on a node.
import { get, post } from "./api.js";
import { h, replace, badge, link, table, field, form, section, parseJson } from "./dom.js";
import { t } from "./i18n.js";

const ENDED = ["succeeded", "failed", "cancelled", "timeout"];

function output(x) {
  const parts = [];
  if (x.exitCode !== null && x.exitCode !== undefined) parts.push(h("div", {}, t("exit code {0}", x.exitCode)));
  for (const [name, text] of [["stdout", x.stdout], ["stderr", x.stderr]])
    if (text) parts.push(h("pre", { class: "output", "data-stream": name }, text));
  if (x.result !== null && x.result !== undefined && x.status !== "pending")
    parts.push(h("pre", { class: "output", "data-stream": "result" }, JSON.stringify(x.result, null, 2)));
  return parts;
}

// ids' tasks, asked for every second until all have ended or the table has
// left the page.
export function taskWatch(ids, names = new Map()) {
  const box = h("div", { class: "task-watch" });
  const tick = async () => {
    const tasks = await Promise.all(ids.map((id) => get(`/admin/tasks/${id}`)));
    replace(box, table([
      { title: t("Task"), cell: (x) => `#${x.id}` },
      { title: t("Node"), cell: (x) => link(`#/nodes/${x.nodeId}`, names.get(x.nodeId) || String(x.nodeId)) },
      { title: t("Type"), cell: (x) => x.type },
      { title: t("Status"), cell: (x) => badge(x.status) },
      { title: t("Error"), cell: (x) => x.errorMessage || "" },
      { title: t("Output"), cell: output },
    ], tasks));
    if (tasks.some((x) => !ENDED.includes(x.status))) setTimeout(() => box.isConnected && tick().catch(() => {}), 1000);
  };
  tick().catch((e) => replace(box, e.message));
  return box;
}

// What each kind of task takes, to start from (docs/api.md lists every payload).
const EXAMPLES = {
  HealthProbe: { kind: "tcp", host: "127.0.0.1", port: 22, timeoutSec: 3 },
  RunCommand: { argv: ["uptime"] },
  SystemdControl: { unitName: "nginx.service", action: "status" },
  InspectUnit: { unitName: "nginx.service", lines: 50 },
  ApplyConfigFiles: { files: [{ path: "/etc/pagoda/example.conf", content: "key = value\n", mode: "0644" }] },
};

// The task types of the API document; only a health probe without
// admin:node:exec (the others can act as root on the node).
async function taskTypes(ctx) {
  const doc = await get("/openapi.json");
  const all = doc.components.schemas.TaskInput.properties.type.enum;
  return ctx.can("admin:node:exec") ? all : all.filter((x) => x === "HealthProbe");
}

export async function runSection(node, ctx) {
  const types = await taskTypes(ctx);
  const f = {
    type: h("select", { name: "type", "data-field": "type" }, types.map((x) => h("option", { value: x }, x))),
    payload: h("textarea", { name: "payload", rows: 6, spellcheck: "false", "data-field": "payload" }),
    timeoutSec: h("input", { name: "timeoutSec", type: "number", min: 1, placeholder: "300", "data-field": "timeoutSec" }),
  };
  const example = () => { f.payload.value = JSON.stringify(EXAMPLES[f.type.value] || {}, null, 2); };
  f.type.value = "HealthProbe"; // RunCommand is off on an agent unless it runs with --allow-exec
  f.type.addEventListener("change", example);
  example();
  const names = new Map([[node.id, node.name]]);
  return section(t("Run a task"), form("task-form", [
    field(t("Type"), f.type, ctx.can("admin:node:exec") ? t("runs as root on the node")
      : t("other types need admin:node:exec: they can act as root on the node")),
    field(t("Payload (JSON)"), f.payload), field(t("Timeout (s)"), f.timeoutSec),
  ], t("Run"), async () => {
    const body = { type: f.type.value, payload: parseJson(f.payload.value, "payload") };
    if (f.timeoutSec.value) body.timeoutSec = Number(f.timeoutSec.value);
    const task = await post(`/admin/nodes/${node.id}/tasks`, body);
    return taskWatch([task.id], names);
  }));
}
