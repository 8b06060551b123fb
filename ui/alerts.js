// Alerts: every alert by status (acknowledge the firing ones), the rules
// (switch one on or off, send a test through its channels) and the named
// channels (test one).
import { get, getAll, post, put, del } from "./api.js";
import { h, replace, badge, link, table, when, action, section, confirmAction } from "./dom.js";
import { t } from "./i18n.js";
import { ruleForm, channelForm } from "./alert_forms.js";

function subjectLink(subject) {
  const [kind, id] = subject.split(":");
  const to = { node: `#/nodes/${id}`, app: `#/apps/${id}`, cert: "#/certs", release: `#/releases/${id}` }[kind];
  return to && /^\d+$/.test(id || "") ? link(to, subject) : subject;
}

// The alerts table, here and on the dashboard.
export function alertTable(alerts, ctx, empty) {
  return table([
    { title: t("Rule"), cell: (a) => a.rule },
    { title: t("Subject"), cell: (a) => subjectLink(a.subject) },
    { title: t("Status"), cell: (a) => a.acknowledgedBy ? h("span", {}, badge(a.status), ` acknowledged by ${a.acknowledgedBy}`) : badge(a.status) },
    { title: t("Severity"), cell: (a) => a.severity },
    { title: t("Since"), cell: (a) => when(a.firedAt) },
    { title: t("Message"), cell: (a) => a.summary },
    { title: "", cell: (a) => a.status === "firing" && !a.acknowledgedBy && ctx.can("admin:alert:manage") ? action(t("Acknowledge"), () => post(`/admin/alerts/${a.id}/ack`)) : "" },
  ], alerts, empty);
}

// What each channel answered to a test message.
function results(out, r) {
  replace(out, table([
    { title: t("Channel"), cell: (x) => x.channel || r.channel || x.plugin },
    { title: t("Plugin"), cell: (x) => x.plugin },
    { title: t("Result"), cell: (x) => x.ok ? badge("succeeded") : h("span", {}, badge("failed"), " ", x.error || "") },
  ], r.results || [], t("No channel to test.")));
}

let status = "firing";

export async function render(main, _params, ctx) {
  const list = h("div"), rules = h("div"), channels = h("div"), tested = h("div", { id: "alert-test" });
  const editor = h("div", { id: "alert-editor" }); // an open form stays across redraws
  const deleting = new Map(); // channel → its Delete's armed state
  let chs = [];
  const edit = async (title, make) => replace(editor, section(title, await make(),
    h("button", { type: "button", class: "quiet-dark", onclick: () => replace(editor) }, t("Close"))));
  const saved = () => { replace(editor); draw(); };
  const pick = h("select", { id: "alert-status" }, ["firing", "acknowledged", "resolved", ""].map((s) =>
    h("option", { value: s }, s || t("every status"))));
  pick.value = status;
  const manage = ctx.can("admin:alert:manage");
  const draw = async () => {
    let alerts, rs;
    [alerts, rs, chs] = await Promise.all([getAll(`/admin/alerts${status ? "?status=" + status : ""}`, 500),
      get("/admin/alert-rules"), getAll("/admin/alert-channels")]);
    replace(list, alertTable(alerts, ctx, t("No alert is active.")));
    replace(rules, table([
      { title: t("Rule"), cell: (r) => r.name },
      { title: t("Enabled"), cell: (r) => r.enabled ? badge("enabled") : badge("disabled") },
      { title: t("Parameters"), cell: (r) => h("code", {}, JSON.stringify(r.params)) },
      { title: t("Channels"), cell: (r) => r.notify.map((n) => h("span", { class: "chip" }, n.channel || n.plugin)) },
      { title: "", cell: (r) => manage ? h("div", { class: "buttons" },
        action(r.enabled ? t("Disable") : t("Enable"), async () => {
          await put(`/admin/alert-rules/${r.name}`, { enabled: !r.enabled }); // the rest (and its secrets) kept
          await draw();
        }, { id: `toggle-${r.name}`, class: "quiet-dark" }),
        action(t("Edit"), () => edit(t("Rule {0}", r.name), () => ruleForm(r, chs, saved)), { id: `edit-${r.name}`, class: "quiet-dark" }),
        r.notify.length ? action(t("Test"), async () => results(tested, await post(`/admin/alert-rules/${r.name}/test`)),
          { id: `test-${r.name}`, class: "quiet-dark" }) : null) : "" },
    ], rs.items, t("No rule.")));
    replace(channels, table([
      { title: t("Name"), cell: (c) => c.name },
      { title: t("Plugin"), cell: (c) => c.plugin },
      { title: t("Severities"), cell: (c) => (c.severities || []).join(", ") || t("all") },
      { title: t("Updated"), cell: (c) => when(c.updatedAt) },
      { title: "", cell: (c) => manage ? h("div", { class: "buttons" },
        action(t("Test"), async () => results(tested, await post(`/admin/alert-channels/${c.name}/test`)),
          { class: "quiet-dark", id: `test-channel-${c.name}` }),
        action(t("Edit"), () => edit(t("Channel {0}", c.name), () => channelForm(c, ctx, saved)),
          { class: "quiet-dark", id: `edit-channel-${c.name}` }),
        confirmAction(t("Delete"), t("Rules that notify it must drop it first."), async () => {
          await del(`/admin/alert-channels/${encodeURIComponent(c.name)}`);
          await draw();
        }, { id: `delete-channel-${c.name}` }, deleting.get(c.name) || deleting.set(c.name, {}).get(c.name))) : "" },
    ], chs, t("No named channel yet.")));
  };
  pick.addEventListener("change", () => { status = pick.value; draw(); });
  replace(main, h("div", { class: "title-row" }, h("h1", {}, t("Alerts")), pick), list,
    section(t("Rules"), rules), section(t("Channels"), channels,
      manage ? action(t("New channel"), () => edit(t("New channel"), () => channelForm(null, ctx, saved)), { id: "new-channel" }) : null),
    editor, tested);
  await ctx.live(draw, 5000);
}
