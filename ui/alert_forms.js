// Alert rules and channels edited in the console: a rule's parameters and
// which named channels it notifies; a named channel's plugin, settings,
// severities and template. Stored settings are sealed and answers mask
// them, so editing a channel means writing its settings whole.
import { get, put } from "./api.js";
import { h, field, form, parseJson } from "./dom.js";
import { t } from "./i18n.js";

const SEVERITIES = ["info", "warning", "critical"];

const checkbox = (name, value, checked) => h("label", {}, h("input", { type: "checkbox", name, value, checked }), value);
const checked = (el, name) => [...el.querySelectorAll(`input[name="${name}"]:checked`)].map((c) => c.value);

export function ruleForm(rule, channels, done) {
  const params = Object.entries(rule.params || {}).map(([k, v]) =>
    [k, h("input", { name: k, type: "number", value: v, required: true, "data-field": `params.${k}` })]);
  const named = new Set(rule.notify.filter((n) => n.channel).map((n) => n.channel));
  const inline = rule.notify.filter((n) => !n.channel).length;
  const picks = h("div", { class: "checks", "data-field": "notify" }, channels.map((c) => checkbox("channel", c.name, named.has(c.name))));
  return form(`rule-form-${rule.name}`, [
    ...params.map(([k, input]) => field(k, input)),
    params.length ? null : h("p", { class: "muted" }, t("This rule has no parameters.")),
    h("fieldset", { class: "group" }, h("legend", {}, t("Notify")), channels.length ? picks
      : h("p", { class: "muted" }, t("No named channel yet: make one below.")),
    inline ? h("p", { class: "warning" }, t("{0} inline channel(s) set through the API: changing the channels here replaces them.", inline)) : null),
  ], t("Save"), async () => {
    const body = { params: Object.fromEntries(params.map(([k, input]) => [k, Number(input.value)])) };
    const now = checked(picks, "channel");
    if (now.length !== named.size || now.some((c) => !named.has(c))) body.notify = now.map((channel) => ({ channel }));
    await put(`/admin/alert-rules/${rule.name}`, body);
    done();
  });
}

// The notify plugins pagodad has loaded, when the token may list them.
async function notifyPlugins(ctx) {
  if (!ctx.can("admin:policy:manage")) return null;
  return (await get("/admin/policies")).items.map((p) => p.path.match(/^plugins\/notify\/(.+)\.lua$/))
    .filter(Boolean).map((m) => m[1]);
}

export async function channelForm(channel, ctx, done) {
  const plugins = await notifyPlugins(ctx);
  const f = {
    name: h("input", { name: "name", required: true, value: channel ? channel.name : "", disabled: !!channel,
      "data-field": "name", placeholder: "ops-webhook" }),
    plugin: plugins ? h("select", { name: "plugin", "data-field": "plugin" }, plugins.map((p) => h("option", { value: p }, p)))
      : h("input", { name: "plugin", required: true, "data-field": "plugin", placeholder: "webhook" }),
    config: h("textarea", { name: "config", rows: 5, spellcheck: "false", required: true, "data-field": "config",
      placeholder: '{"url": "https://hooks.example.net/pagoda"}' }),
    template: h("input", { name: "template", "data-field": "template", placeholder: "alert_message",
      value: channel && channel.template ? channel.template : "" }),
  };
  if (channel) f.plugin.value = channel.plugin;
  const sev = h("div", { class: "checks", "data-field": "severities" },
    SEVERITIES.map((s) => checkbox("severity", s, !!channel && (channel.severities || []).includes(s))));
  return form("channel-form", [
    field(t("Name"), f.name), field(t("Plugin"), f.plugin),
    field(t("Settings (JSON)"), f.config, channel ? t("sealed and not shown: write them whole") : t("the plugin's settings and credentials; sealed at rest")),
    h("fieldset", { class: "group" }, h("legend", {}, t("Severities")), sev, h("small", {}, t("none checked: all"))),
    field(t("Template"), f.template, t("templates/NAME.lua that words the messages")),
  ], channel ? t("Save") : t("Create channel"), async () => {
    const body = { plugin: f.plugin.value.trim(), config: parseJson(f.config.value, "config") };
    if (checked(sev, "severity").length) body.severities = checked(sev, "severity");
    if (f.template.value.trim()) body.template = f.template.value.trim();
    const name = channel ? channel.name : f.name.value.trim();
    await put(`/admin/alert-channels/${encodeURIComponent(name)}`, body);
    done();
  });
}
