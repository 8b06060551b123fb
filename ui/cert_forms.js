// The certificate center's write actions: request a certificate from an
// ACME CA, import one with its key, deploy one to nodes (and follow the
// deploy tasks).
import { getAll, post } from "./api.js";
import { h, field, form } from "./dom.js";
import { taskWatch } from "./task_run.js";
import { t } from "./i18n.js";

const words = (text) => text.split(/[\s,]+/).map((w) => w.trim()).filter(Boolean);

const PRESETS = [["letsencrypt", "Let's Encrypt"], ["letsencrypt-staging", "Let's Encrypt (staging)"], ["", "another ACME CA"]];

export async function requestForm(done) {
  const providers = await getAll("/admin/dns-providers");
  const f = {
    domains: h("input", { name: "domains", required: true, placeholder: "example.com, www.example.com", "data-field": "domains" }),
    name: h("input", { name: "name", placeholder: t("the first domain"), "data-field": "name" }),
    challenge: h("select", { name: "challenge", "data-field": "challenge" },
      h("option", { value: "" }, t("automatic (DNS-01 where a DNS provider serves the zone)")),
      h("option", { value: "http-01" }, "HTTP-01"), h("option", { value: "dns-01" }, "DNS-01")),
    provider: h("select", { name: "provider", "data-field": "dns.provider" }, h("option", { value: "" }, t("none")),
      providers.map((p) => h("option", { value: p.name }, `${p.name} (${p.plugin}: ${(p.zones || []).join(", ")})`))),
    keyType: h("select", { name: "keyType", "data-field": "keyType" }, ["ec256", "rsa2048", "rsa4096"].map((k) => h("option", { value: k }, k))),
    preset: h("select", { name: "preset", "data-field": "issuer.preset" }, PRESETS.map(([v, l]) => h("option", { value: v }, l))),
    directoryUrl: h("input", { name: "directoryUrl", placeholder: "https://acme.example.net/directory", "data-field": "issuer.directoryUrl" }),
    email: h("input", { name: "email", type: "email", "data-field": "issuer.email" }),
    caFile: h("input", { name: "caFile", placeholder: "/etc/pagoda/acme-ca.pem", "data-field": "issuer.caFile" }),
  };
  return form("cert-request", [
    field(t("Domains"), f.domains, t("comma or space separated; *.example.com needs DNS-01")), field(t("Name"), f.name),
    field(t("Challenge"), f.challenge), field(t("DNS provider"), f.provider, t("stored providers: /admin/dns-providers")),
    field(t("Key"), f.keyType),
    h("fieldset", { class: "group" }, h("legend", {}, t("Certificate authority")), field(t("CA"), f.preset),
      field(t("Directory URL"), f.directoryUrl, t("for another ACME CA")), field(t("Account email"), f.email),
      field(t("CA certificate file"), f.caFile, t("on the pagodad host, when the CA's TLS is not publicly trusted"))),
  ], t("Request"), async () => {
    const issuer = {};
    if (f.preset.value) issuer.preset = f.preset.value;
    for (const k of ["directoryUrl", "email", "caFile"]) if (f[k].value.trim()) issuer[k] = f[k].value.trim();
    const body = { domains: words(f.domains.value), keyType: f.keyType.value, issuer };
    if (f.name.value.trim()) body.name = f.name.value.trim();
    if (f.challenge.value) body.challenge = f.challenge.value;
    if (f.provider.value) body.dns = { provider: f.provider.value };
    await post("/admin/certificates/acme", body);
    done();
  });
}

// A file picked fills the text box (the PEM never leaves the browser but to the API).
function pemBox(name) {
  const box = h("textarea", { name, rows: 5, spellcheck: "false", required: true, "data-field": name,
    placeholder: "-----BEGIN ..." });
  const pick = h("input", { type: "file", accept: ".pem,.crt,.cer,.key", onchange: async () => {
    if (pick.files[0]) box.value = await pick.files[0].text();
  } });
  return { box, pick };
}

export function importForm(done) {
  const cert = pemBox("certPem"), key = pemBox("keyPem");
  const name = h("input", { name: "name", required: true, "data-field": "name", placeholder: "www-example-com" });
  const force = h("input", { type: "checkbox", name: "force" });
  return form("cert-import", [
    field(t("Name"), name, t("how sites and deploys name it")), field(t("Certificate and chain (PEM)"), cert.box), cert.pick,
    field(t("Private key (PEM)"), key.box, t("sealed at rest, never shown again")), key.pick,
    h("label", { class: "checks" }, force, t("import it even if it has expired")),
  ], t("Import"), async () => {
    const body = { name: name.value.trim(), certPem: cert.box.value, keyPem: key.box.value };
    if (force.checked) body.force = true;
    await post("/admin/certificates", body);
    key.box.value = "";
    done();
  });
}

export async function deployForm(cert) {
  const nodes = await getAll("/admin/nodes");
  const names = new Map(nodes.map((n) => [n.id, n.name]));
  const picks = nodes.map((n) => h("input", { type: "checkbox", name: "node", value: n.id }));
  const certPath = h("input", { name: "certPath", placeholder: `/etc/ssl/pagoda/${cert.name}.crt`, "data-field": "certPath" });
  const keyPath = h("input", { name: "keyPath", placeholder: `/etc/ssl/pagoda/${cert.name}.key`, "data-field": "keyPath" });
  const reload = h("input", { type: "checkbox", name: "reload", checked: true });
  const verify = h("input", { type: "checkbox", name: "verify" });
  return form("cert-deploy", [
    h("fieldset", { class: "group", "data-field": "nodeIds" }, h("legend", {}, t("Nodes")),
      h("div", { class: "checks" }, nodes.map((n, i) => h("label", {}, picks[i], `${n.name} `, h("span", { class: "muted" }, n.status))))),
    field(t("Certificate path"), certPath), field(t("Key path"), keyPath),
    h("label", { class: "checks" }, reload, t("reload nginx after writing")),
    h("label", { class: "checks" }, verify, t("then check that nginx serves it")),
  ], t("Deploy"), async () => {
    const body = { nodeIds: picks.filter((p) => p.checked).map((p) => Number(p.value)), reload: reload.checked };
    if (certPath.value.trim()) body.certPath = certPath.value.trim();
    if (keyPath.value.trim()) body.keyPath = keyPath.value.trim();
    if (verify.checked) body.verify = true;
    const out = await post(`/admin/certificates/${cert.id}/deploy`, body);
    return taskWatch(out.tasks.map((x) => x.taskId), names);
  });
}

