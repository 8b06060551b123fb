// The form of an application, one for each type: a SystemdService's
// command, environment, port and health check as fields (what the form does
// not show of a spec, e.g. configFiles, artifacts or hardening, is kept as
// it is); a ReverseProxy's sites are added on its page. "Edit as JSON"
// shows the whole spec instead. The API checks what is sent, and its error
// marks the field it names.
import { h, replace, field, form, parseJson } from "./dom.js";
import { t } from "./i18n.js";

export const TYPES = ["SystemdService", "ReverseProxy"];

function fieldError(name, message) {
  const err = new Error(message);
  err.field = name;
  return err;
}

const lines = (text) => text.split("\n").map((l) => l.trim()).filter(Boolean);

function envOf(text) {
  const env = {};
  for (const l of lines(text)) {
    const eq = l.indexOf("=");
    if (eq < 1) throw fieldError("spec.unit.environment", t("{0}: write one KEY=VALUE a line", l));
    env[l.slice(0, eq)] = l.slice(eq + 1);
  }
  return env;
}

// Sets obj[key] to value, or removes the key when the value is empty.
function put(obj, key, value) {
  if (value === "" || value === undefined || (Array.isArray(value) && !value.length) ||
      (value && typeof value === "object" && !Array.isArray(value) && !Object.keys(value).length)) delete obj[key];
  else obj[key] = value;
  return obj;
}

const num = (input) => (input.value.trim() === "" ? "" : Number(input.value));

// A SystemdService's fields: read from a spec, written over a copy of it.
function serviceFields() {
  const f = {
    exec: h("input", { name: "exec", "data-field": "spec.unit.exec", placeholder: "/usr/bin/python3", required: true }),
    args: h("textarea", { name: "args", rows: 3, spellcheck: "false", "data-field": "spec.unit.args" }),
    environment: h("textarea", { name: "environment", rows: 3, spellcheck: "false", "data-field": "spec.unit.environment",
      placeholder: "PORT=8080" }),
    user: h("input", { name: "user", "data-field": "spec.unit.user", placeholder: "root" }),
    workingDirectory: h("input", { name: "workingDirectory", "data-field": "spec.unit.workingDirectory" }),
    listenPort: h("input", { name: "listenPort", type: "number", "data-field": "spec.listenPort" }),
    hcType: h("select", { name: "hcType", "data-field": "spec.healthCheck.type" },
      ["", "http", "tcp", "process"].map((v) => h("option", { value: v }, v || t("none")))),
    hcPath: h("input", { name: "hcPath", "data-field": "spec.healthCheck.path", placeholder: "/healthz" }),
    hcRetries: h("input", { name: "hcRetries", type: "number", "data-field": "spec.healthCheck.retries" }),
    hcInterval: h("input", { name: "hcInterval", type: "number", "data-field": "spec.healthCheck.intervalSec" }),
  };
  const view = [
    field(t("Command"), f.exec, t("an absolute path (or, with artifacts, one inside the release)")),
    field(t("Arguments"), f.args, t("one a line")),
    field(t("Environment"), f.environment, t("KEY=VALUE, one a line")),
    field(t("User"), f.user, t("empty: root")),
    field(t("Working directory"), f.workingDirectory),
    field(t("Listen port"), f.listenPort, t("registers the service in the registry and is probed")),
    h("fieldset", { class: "group" }, h("legend", {}, t("Health check")),
      field(t("Kind"), f.hcType), field(t("Path"), f.hcPath, t("http only")),
      field(t("Retries"), f.hcRetries), field(t("Interval (s)"), f.hcInterval)),
  ];
  const fill = (spec) => {
    const u = spec.unit || {}, hc = spec.healthCheck || {};
    f.exec.value = u.exec || "";
    f.args.value = (u.args || []).join("\n");
    f.environment.value = Object.entries(u.environment || {}).map(([k, v]) => `${k}=${v}`).join("\n");
    f.user.value = u.user || "";
    f.workingDirectory.value = u.workingDirectory || "";
    f.listenPort.value = spec.listenPort ?? "";
    f.hcType.value = spec.healthCheck ? hc.type || "tcp" : "";
    f.hcPath.value = hc.path || "";
    f.hcRetries.value = hc.retries ?? "";
    f.hcInterval.value = hc.intervalSec ?? "";
  };
  const read = (base) => {
    const spec = structuredClone(base);
    spec.unit = put(put(put(put(put({ ...(spec.unit || {}) }, "exec", f.exec.value.trim()),
      "args", lines(f.args.value)), "environment", envOf(f.environment.value)),
    "user", f.user.value.trim()), "workingDirectory", f.workingDirectory.value.trim());
    put(spec, "listenPort", num(f.listenPort));
    if (!f.hcType.value) delete spec.healthCheck;
    else spec.healthCheck = put(put(put({ ...(spec.healthCheck || {}), type: f.hcType.value },
      "path", f.hcPath.value.trim()), "retries", num(f.hcRetries)), "intervalSec", num(f.hcInterval));
    return spec;
  };
  return { view, fill, read };
}

// A ReverseProxy's spec holds only artifacts (a static site's files): its
// sites are ingresses, added on its page.
function proxyFields() {
  return {
    view: [h("p", { class: "muted" }, t("Its sites (domains, paths, TLS) are added on its page once it exists."))],
    fill: () => {},
    read: (base) => structuredClone(base),
  };
}

const FIELDS = { SystemdService: serviceFields, ReverseProxy: proxyFields };

// The form of an application (app null: a new one); submit(body) creates
// or updates it.
export function appForm(app, submit) {
  const f = {
    name: h("input", { name: "name", required: true, value: app ? app.name : "", disabled: !!app,
      pattern: "[a-z0-9][a-z0-9\\-]*", "data-field": "name" }),
    type: h("select", { name: "type", disabled: !!app, "data-field": "type" }, TYPES.map((v) => h("option", { value: v }, v))),
    selector: h("input", { name: "selector", value: app ? (app.selector.labels || "") : "", placeholder: "role=web,env=prod",
      "data-field": "selector" }),
    batchSize: h("input", { name: "batchSize", type: "number", min: 1, value: app ? (app.strategy.batchSize || 1) : 1,
      "data-field": "strategy.batchSize" }),
    rollback: h("select", { name: "rollback", "data-field": "rollback" }, ["manual", "auto"].map((v) => h("option", { value: v }, v))),
    spec: h("textarea", { name: "spec", rows: 14, spellcheck: "false", "data-field": "spec" }),
  };
  if (app) {
    f.type.value = app.type;
    f.rollback.value = app.rollback;
  }
  let base = structuredClone(app ? app.spec : {}); // the spec the fields are written over
  let typed = null, asJson = false;
  const area = h("div", { class: "form-part" });
  const toggle = h("button", { type: "button", class: "quiet-dark", id: "spec-json" }), toggleErr = h("span");
  const draw = () => {
    toggle.textContent = asJson ? t("Edit as form") : t("Edit as JSON");
    if (asJson) return replace(area, field(t("Spec (JSON)"), f.spec));
    typed = FIELDS[f.type.value]();
    typed.fill(base);
    replace(area, typed.view);
  };
  const spec = () => (asJson ? parseJson(f.spec.value, "spec") : typed.read(base));
  toggle.addEventListener("click", () => {
    try {
      if (asJson) base = spec(); else f.spec.value = JSON.stringify(base = spec(), null, 2);
      asJson = !asJson;
      draw();
      replace(toggleErr);
    } catch (e) {
      replace(toggleErr, h("span", { class: "error", role: "alert" }, e.message));
    }
  });
  f.type.addEventListener("change", () => { base = {}; draw(); });
  draw();
  return form("app-form", [
    field(t("Name"), f.name), field(t("Type"), f.type),
    field(t("Node selector"), f.selector, t("labels the nodes must carry, e.g. role=web")),
    field(t("Batch size"), f.batchSize, t("nodes per batch of a release")),
    field(t("On failure"), f.rollback, t("auto rolls a failed release back by itself")),
    h("div", { class: "title-row" }, h("h3", {}, t("Spec")), toggle, toggleErr), area,
  ], app ? t("Save") : t("Create application"), async () => {
    const body = {
      selector: app && !f.selector.value.trim() ? app.selector : { labels: f.selector.value.trim() },
      strategy: { ...(app ? app.strategy : {}), batchSize: Number(f.batchSize.value) },
      rollback: f.rollback.value,
      spec: spec(),
    };
    if (!app) Object.assign(body, { name: f.name.value.trim(), type: f.type.value });
    await submit(body);
  });
}
