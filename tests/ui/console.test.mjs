// The web console end to end in headless Debian chromium (playwright-core):
// log in, create an application, release it to the test nodes and watch it
// succeed, see drift after a hand edit, roll back; a screenshot of every
// view. Driven by tests/e2e/test_console.py, which starts pagodad, the nodes
// and their agents, and checks afterwards what the console did through the API.
//
// Environment: PAGODA_URL, PAGODA_TOKEN_FILE, PAGODA_APP_SPEC (JSON),
// PAGODA_HAND_EDIT (JSON argv that edits the unit on the second node),
// PAGODA_STOP_AGENT (JSON argv that stops the first node's agent),
// PAGODA_VIEWER_TOKEN (a token that may only read applications),
// PAGODA_NODES (JSON list of node names), PAGODA_SHOTS (screenshot dir),
// PAGODA_CERT_FILES, PAGODA_ACME_URL, PAGODA_HOOK_URL and PAGODA_HOOK_SECRET.
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import assert from "node:assert/strict";

const url = process.env.PAGODA_URL;
const token = fs.readFileSync(process.env.PAGODA_TOKEN_FILE, "utf8").trim();
const spec = JSON.parse(process.env.PAGODA_APP_SPEC);
const handEdit = JSON.parse(process.env.PAGODA_HAND_EDIT);
const stopAgent = JSON.parse(process.env.PAGODA_STOP_AGENT);
const viewerToken = process.env.PAGODA_VIEWER_TOKEN; // holds admin:app:read only
const nodeNames = JSON.parse(process.env.PAGODA_NODES);
const [certFile, keyFile] = JSON.parse(process.env.PAGODA_CERT_FILES); // a certificate to import, and its key
const acmeUrl = process.env.PAGODA_ACME_URL; // an ACME directory where nothing answers (loopback)
const hookUrl = process.env.PAGODA_HOOK_URL, hookSecret = process.env.PAGODA_HOOK_SECRET;
const shots = process.env.PAGODA_SHOTS;
fs.mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.PAGODA_CHROMIUM || "/usr/bin/chromium",
  // as root on a closed network: no sandbox, no background traffic
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1400, height: 900 } });
const page = await context.newPage();
const origin = new URL(url).origin;
const foreign = [], pageErrors = [];
page.on("request", (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith("data:")) foreign.push(r.url()); });
page.on("pageerror", (e) => pageErrors.push(e.message));
page.on("dialog", (d) => d.accept());
page.setDefaultTimeout(20000);

let step = 0;
async function shot(name) {
  await page.waitForTimeout(200); // let the last render paint
  const file = path.join(shots, `${String(++step).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log("screenshot", file);
}
const log = (...a) => console.log(new Date().toISOString(), ...a);
const text = (sel) => page.locator(sel).innerText();
// a table row of the main area that contains text
const row = (t) => page.locator("main tr", { hasText: t });

async function waitRelease(status, timeout = 120000) {
  await page.locator(`#release-status [data-status="${status}"]`).waitFor({ timeout });
}

try {
  // --- log in: a bad token is refused, the good one opens the dashboard
  // the nodes' veths may still be settling: Chromium then aborts with ERR_NETWORK_CHANGED once
  const resp = await page.goto(url + "/ui/").catch((e) => {
    if (!String(e).includes("ERR_NETWORK_CHANGED")) throw e;
    return page.waitForTimeout(1000).then(() => page.goto(url + "/ui/"));
  });
  assert.equal(resp.status(), 200);
  assert.match(resp.headers()["content-security-policy"], /default-src 'self'/);
  await shot("login");
  await page.fill("#token", "pga_" + "0".repeat(64));
  await page.click("#login button[type=submit]");
  await page.getByText("This token is not valid").waitFor();
  await page.fill("#token", token);
  await page.click("#login button[type=submit]");
  await page.locator("#card-nodes .card-value").getByText(`${nodeNames.length} / ${nodeNames.length}`).waitFor();
  assert.ok(!page.url().includes(token), "the token is not in the URL");
  assert.equal(await page.evaluate(() => localStorage.length), 0, "nothing in localStorage");
  assert.equal(await page.evaluate(() => sessionStorage.getItem("pagoda.token")), token);
  log("logged in");
  await shot("dashboard");

  // --- nodes, with the facts of their heartbeats
  await page.click('#nav a[data-view="nodes"]');
  for (const n of nodeNames) await row(n).getByText("online").waitFor();
  await shot("nodes");
  await page.click(`main a:text-is("${nodeNames[0]}")`);
  await page.locator("#facts").getByText("Kernel").waitFor();
  const facts = await text("#facts");
  assert.match(facts, /Debian/);
  assert.match(facts, /systemd\s+yes/);
  // its history: a point a minute from the heartbeats' facts, as charts
  await page.locator("#chart-mem circle.dot").waitFor({ timeout: 30000 });
  await page.locator("#chart-disk path.line").waitFor({ state: "attached" });
  assert.match(await text("#history"), /Memory used\s*\d+%/);
  await page.click("#range-week");
  await page.locator("#range-week:not(.quiet-dark)").waitFor();
  await page.locator("#chart-load circle.dot").waitFor();
  await page.click("#range-day");
  await shot("node");
  // a task run by hand: refused with its field named, then run and followed to its output
  const taskPayload = page.locator('#task-form [name="payload"]');
  await page.selectOption('#task-form [name="type"]', "RunCommand");
  await taskPayload.fill(JSON.stringify({ argv: [] }));
  await page.click('#task-form button[type="submit"]');
  await page.locator('#task-form [name="payload"][aria-invalid="true"]').waitFor();
  assert.match(await text("#task-form .field-error"), /argv must name a program/);
  await page.selectOption('#task-form [name="type"]', "InspectUnit");
  await taskPayload.fill(JSON.stringify({ unitName: "pagoda-agent.service", lines: 5 }));
  await page.click('#task-form button[type="submit"]');
  await page.locator('#task-form .task-watch [data-status="succeeded"]').waitFor({ timeout: 30000 });
  assert.match(await text('#task-form pre[data-stream="result"]'), /"active"/);
  await shot("node-task");
  log("task run on a node");
  // its labels edited (the applications below select role=web)
  await page.click("#edit-node");
  await page.fill('#node-form [name="labels"]', "role=web,zone");
  await page.click('#node-form button[type="submit"]');
  await page.locator('#node-form [name="labels"][aria-invalid="true"]').waitFor();
  await page.fill('#node-form [name="labels"]', "role=web,zone=a");
  await page.click('#node-form button[type="submit"]');
  await page.locator("#node-form").waitFor({ state: "detached" });
  await page.locator("main .chip").getByText("zone=a").waitFor();
  // a node that never ran an agent (made for it), deleted in two clicks
  const spareNode = await page.evaluate(async (tk) => (await (await fetch("/admin/nodes", { method: "POST",
    headers: { Authorization: `Bearer ${tk}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name: "console-spare", ip: "127.0.0.9" }) })).json()).id, token);
  await page.goto(`${url}/ui/#/nodes/${spareNode}`);
  await page.click("#delete-node");
  await page.click("#delete-node-yes");
  await page.waitForURL(/#\/nodes$/);
  await row(nodeNames[0]).waitFor();
  assert.equal(await row("console-spare").count(), 0);
  log("node edited, spare node deleted");

  // --- create an application through its type's form
  await page.click('#nav a[data-view="apps"]');
  await page.click("#new-app");
  const app = (name) => page.locator(`#app-form [name="${name}"]`);
  await app("name").fill("console-shop");
  await page.selectOption('#app-form [name="type"]', "SystemdService");
  await app("selector").fill("role=web");
  await app("batchSize").fill("1");
  await app("exec").fill("python3"); // relative: the API refuses it, naming the field
  await app("args").fill(spec.unit.args.join("\n"));
  await app("environment").fill(Object.entries(spec.unit.environment).map(([k, v]) => `${k}=${v}`).join("\n"));
  await app("listenPort").fill(String(spec.listenPort));
  await page.selectOption('#app-form [name="hcType"]', spec.healthCheck.type);
  await app("hcPath").fill(spec.healthCheck.path);
  await app("hcRetries").fill(String(spec.healthCheck.retries));
  await app("hcInterval").fill(String(spec.healthCheck.intervalSec));
  await page.click('#app-form button[type="submit"]');
  await page.locator('#app-form [name="exec"][aria-invalid="true"]').waitFor();
  assert.match(await text("#app-form .field-error"), /relative/);
  await shot("app-new-field-error");
  await app("exec").fill(spec.unit.exec);
  // the JSON view shows what the fields make; bad JSON is refused in the browser
  await page.click("#spec-json");
  assert.deepEqual(JSON.parse(await app("spec").inputValue()), spec);
  await app("spec").fill("{ not json");
  await page.click('#app-form button[type="submit"]');
  await page.locator("#app-form .error").getByText("spec is not valid JSON").first().waitFor();
  await app("spec").fill(JSON.stringify(spec, null, 2));
  await page.click("#spec-json"); // back to the fields, filled from the JSON
  assert.equal(await app("exec").inputValue(), spec.unit.exec);
  assert.equal(await app("environment").inputValue(), "VERSION=v1");
  await shot("app-new");
  await page.click('#app-form button[type="submit"]');
  await page.waitForURL(/#\/apps\/\d+$/);
  const appId = page.url().match(/apps\/(\d+)/)[1];
  log("app created", appId);

  // --- release v1: the diff first, then execute and watch it live
  await page.click("#new-release");
  await page.waitForURL(/#\/releases\/\d+$/);
  await page.locator("table.diff").getByText("VERSION=v1").first().waitFor();
  await page.click("#release-execute");
  await page.locator("#release-status").getByText(/running|succeeded/).waitFor();
  await shot("release-running");
  await waitRelease("succeeded");
  for (const n of nodeNames) await row(n).locator('[data-status="succeeded"]').first().waitFor();
  assert.match(await text(".progress"), new RegExp(`${nodeNames.length} of ${nodeNames.length} nodes done`));
  await shot("release-succeeded");
  log("release v1 succeeded");

  // --- release v2 after an edit of the spec
  await page.goto(`${url}/ui/#/apps/${appId}`);
  await page.click("#edit-app");
  assert.equal(await app("environment").inputValue(), "VERSION=v1");
  await app("environment").fill("VERSION=v2");
  await page.click('#app-form button[type="submit"]');
  await page.locator("#app-form").waitFor({ state: "detached" });
  await page.click("#new-release");
  await page.waitForURL(/#\/releases\/\d+$/);
  await page.locator("table.diff td.add").getByText("VERSION=v2").waitFor();
  await page.locator("table.diff td.del").getByText("VERSION=v1").waitFor();
  await page.click("#release-execute");
  await waitRelease("succeeded");
  log("release v2 succeeded");

  // --- a hand edit on a node shows as drift on the application
  await page.goto(`${url}/ui/#/apps/${appId}`);
  await row(nodeNames[1]).getByText("converged").waitFor({ timeout: 30000 });
  execFileSync(handEdit[0], handEdit.slice(1));
  await row(nodeNames[1]).locator('[data-status="drifted"]').waitFor({ timeout: 30000 });
  assert.match(await row(nodeNames[1]).innerText(), /changed/);
  await shot("app-drift");
  log("drift seen");
  await page.click('#nav a[data-view="dashboard"]');
  await page.locator("#card-drift .card-value").getByText("1").waitFor();

  // --- roll back from the application's release history, after a look at its diff
  await page.goto(`${url}/ui/#/apps/${appId}`);
  await page.locator("#releases tr[data-release] .show-diff").first().click();
  await page.locator("#releases tr.diff-row td.add").getByText("VERSION=v2").waitFor();
  await page.waitForTimeout(2500); // a live refresh keeps it open
  await page.locator("#releases tr.diff-row td.del").getByText("VERSION=v1").waitFor();
  await shot("app-history-diff");
  await page.click("button.rollback");
  await page.waitForURL(/#\/releases\/\d+$/);
  await page.getByText(/rollback of #\d+/).first().waitFor();
  await waitRelease("succeeded");
  await shot("rollback-succeeded");
  // v1's unit again, so the hand edit is gone and the node converges
  await page.goto(`${url}/ui/#/apps/${appId}`);
  await row(nodeNames[1]).getByText("converged").waitFor({ timeout: 30000 });
  await row("rollback").getByText("current").waitFor();
  await shot("app-after-rollback");
  log("rolled back");

  // --- day to day: the units as systemd sees them, a rolling restart, its lines in the logs followed live
  await page.click("#unit-status-button");
  for (const n of nodeNames) await page.locator("#unit-status tr", { hasText: n }).locator('[data-status="active"]').waitFor();
  await page.click("#app-restart");
  await page.waitForURL(/#\/releases\/\d+$/);
  await waitRelease("succeeded");
  await page.goto(`${url}/ui/#/apps/${appId}`);
  await page.click("#logs-follow");
  const logsHave = (s) => page.waitForFunction((s) => document.getElementById("logs").textContent.includes(s), s, { timeout: 30000 });
  for (const n of nodeNames) await logsHave(`[${n}] `);
  await logsHave("Stopping console-shop.service");
  await shot("app-logs");
  await page.click("#logs-stop");
  log("unit status, restart and logs seen");

  // --- nginx in front of it: a ReverseProxy application and its site, made in the console
  await page.click('#nav a[data-view="apps"]');
  await page.click("#new-app");
  await page.fill('#app-form [name="name"]', "console-edge");
  await page.selectOption('#app-form [name="type"]', "ReverseProxy");
  await page.fill('#app-form [name="selector"]', "role=web");
  await page.click('#app-form button[type="submit"]');
  await page.waitForURL(/#\/apps\/\d+$/);
  await page.click("#add-site");
  await page.fill('#site-form [name="domains"]', "console.test");
  await page.selectOption('#site-form [name="service"]', "console-shop");
  await page.click('#site-form button[type="submit"]');
  await row("console.test").getByText("console-shop").waitFor();
  await page.click("#new-release");
  await page.waitForURL(/#\/releases\/\d+$/);
  await page.locator("table.diff").getByText("server_name console.test").first().waitFor();
  await page.click("#release-execute");
  await waitRelease("succeeded");
  await shot("proxy-release");
  // a second site, then deleted (two clicks) before any release deploys it
  await page.goBack();
  await page.click("#add-site");
  await page.fill('#site-form [name="domains"]', "old.console.test");
  await page.click('#site-form button[type="submit"]');
  const oldSite = row("old.console.test");
  await oldSite.getByRole("button", { name: "Delete" }).click();
  await oldSite.getByRole("button", { name: "Yes, delete" }).click();
  await oldSite.waitFor({ state: "detached" });
  log("reverse proxy released");

  // --- certificates: imported from files, deployed to both nodes, requested from a CA, deleted
  await page.click('#nav a[data-view="certs"]');
  await page.locator("#cert-timeline g.cert").first().waitFor();
  await page.click("#cert-import-open");
  await page.fill('#cert-import [name="name"]', "console-deploy");
  await page.setInputFiles("#cert-import input[type=file] >> nth=0", certFile);
  await page.locator('#cert-import [name="keyPem"]').fill("not a key");
  await page.click('#cert-import button[type="submit"]');
  await page.locator('#cert-import [name="keyPem"][aria-invalid="true"]').waitFor();
  await page.setInputFiles("#cert-import input[type=file] >> nth=1", keyFile);
  await page.waitForFunction(() => document.querySelector('#cert-import [name="keyPem"]').value.includes("PRIVATE KEY"));
  await page.click('#cert-import button[type="submit"]');
  const deployRow = row("console-deploy");
  await deployRow.getByRole("button", { name: "Deploy" }).click();
  for (const n of nodeNames) await page.locator("#cert-deploy label", { hasText: n }).locator("input").check();
  await page.click('#cert-deploy button[type="submit"]');
  for (const n of nodeNames)
    await page.locator("#cert-deploy .task-watch tr", { hasText: n }).locator('[data-status="succeeded"]').waitFor({ timeout: 30000 });
  await shot("certificate-deployed");
  await page.click("#cert-request-open");
  const req = (name) => page.locator(`#cert-request [name="${name}"]`);
  await req("domains").fill("Not A Domain!");
  await page.selectOption('#cert-request [name="preset"]', "");
  await req("directoryUrl").fill(acmeUrl); // nothing listens there: the request is taken, issuing fails
  await page.click('#cert-request button[type="submit"]');
  await page.locator('#cert-request [name="domains"][aria-invalid="true"]').waitFor();
  await req("domains").fill("console-acme.test");
  await page.click('#cert-request button[type="submit"]');
  await page.locator("#cert-request").waitFor({ state: "detached" });
  const acmeRow = row("console-acme.test");
  await acmeRow.getByText("Couldn't connect").waitFor({ timeout: 30000 });
  await shot("certificates");
  await acmeRow.getByRole("button", { name: "Delete" }).click();
  await acmeRow.getByRole("button", { name: "Yes, delete" }).click();
  await acmeRow.waitFor({ state: "detached" });
  // a stored DNS provider: its plugin's check names the missing setting; the secret is never shown
  await page.click("#dns-open");
  await page.fill('#dns-form [name="name"]', "console-dns");
  await page.selectOption('#dns-form [name="plugin"]', "cloudflare");
  await page.fill('#dns-form [name="zones"]', "console.test");
  await page.fill('#dns-form [name="config"]', "{}");
  await page.click('#dns-form button[type="submit"]');
  await page.locator('#dns-form [name="config"][aria-invalid="true"]').waitFor();
  await page.fill('#dns-form [name="config"]', JSON.stringify({ apiToken: "cf-console-SECRET" }));
  await page.click('#dns-form button[type="submit"]');
  const dnsRow = row("console-dns");
  await dnsRow.getByText("cloudflare").waitFor();
  assert.ok(!(await text("main")).includes("cf-console-SECRET"), "the provider's token is never shown");
  await shot("certificates-dns");
  await dnsRow.getByRole("button", { name: "Delete" }).click();
  await dnsRow.getByRole("button", { name: "Yes, delete" }).click();
  await dnsRow.waitFor({ state: "detached" });
  log("certificates imported, deployed, requested and deleted; a DNS provider made and deleted");

  // --- configuration, audit
  await page.click('#nav a[data-view="configs"]');
  await page.click("main tbody a");
  await page.locator("#config-diff table.diff td.add").first().waitFor();
  assert.ok(await page.locator("#config-diff table.diff td.del").count() > 0);
  await shot("configuration-diff");
  // a new item, a new version, the change reviewed, then published
  await page.click('#nav a[data-view="configs"]');
  await page.click("#new-config");
  await page.fill('#config-form [name="name"]', "console/app.env");
  await page.selectOption('#config-form [name="format"]', "env");
  await page.fill('#config-form [name="content"]', "COLOR=blue\n");
  await page.click('#config-form button[type="submit"]');
  await page.locator("main h1").getByText("default/console/app.env").waitFor();
  await page.click("#publish-review"); // the first time: all of it
  await page.locator("#publish-content").getByText("COLOR=blue").waitFor();
  await page.click("#publish-confirm");
  await page.locator("main .muted").getByText("published v1").waitFor();
  await page.fill('#config-edit [name="content"]', "COLOR=green\n");
  await page.fill('#config-edit [name="message"]', "greener");
  await page.click('#config-edit button[type="submit"]');
  await page.locator("main tbody tr", { hasText: "greener" }).waitFor();
  await page.click("#publish-review");
  await page.locator("#publish-preview table.diff td.add").getByText("COLOR=green").waitFor();
  await page.click("#publish-confirm");
  await page.locator("main .muted").getByText("published v2").waitFor();
  await shot("configuration-publish");
  // a bad format is the API's error, with its field
  await page.click('#nav a[data-view="configs"]');
  await page.click("#new-config");
  await page.fill('#config-form [name="name"]', "bad name with spaces");
  await page.click('#config-form button[type="submit"]');
  await page.locator("#config-form .error").getByText("(field: name)").waitFor();
  log("configuration written, reviewed and published");

  // --- tasks, policies and tokens
  await page.click('#nav a[data-view="tasks"]');
  await page.locator("main tbody tr").first().waitFor();
  await page.selectOption("#task-status", "succeeded");
  await page.locator("main tbody").getByText("succeeded").first().waitFor();
  await shot("tasks");
  await page.click('#nav a[data-view="policies"]');
  await page.locator("main tbody").getByText("policies/batch.lua").first().waitFor();
  await page.click("#reload-policies");
  await page.locator("main tbody").getByText("policies/batch.lua").first().waitFor();
  await shot("policies");
  await page.click('#nav a[data-view="tokens"]');
  await page.fill('#token-form [name="name"]', "console-reader");
  await page.check('#token-form input[value="admin:app:read"]');
  await page.click('#token-form button[type="submit"]');
  await page.locator("#new-token").waitFor();
  const minted = (await text("#new-token")).trim();
  const readerRow = row("console-reader");
  await readerRow.getByText("admin:app:read").waitFor();
  await shot("tokens");
  // asked from the page (same origin, the CA the browser trusts)
  const statusWith = (tok) => page.evaluate(async (tk) =>
    (await fetch("/admin/whoami", { headers: { Authorization: `Bearer ${tk}` } })).status, tok);
  assert.equal(await statusWith(minted), 200, "the minted token works");
  await readerRow.getByRole("button", { name: "Revoke" }).click();
  await readerRow.getByRole("button", { name: "Yes, revoke" }).click();
  await readerRow.locator("time").nth(1).waitFor();
  assert.equal(await statusWith(minted), 401, "the revoked token does not");
  log("tasks, policies and tokens checked");
  await page.click('#nav a[data-view="audit"]');
  await page.fill('form.filters [name="action"]', "release.rollback");
  await page.click('form.filters button[type="submit"]');
  await page.locator("main tbody tr").first().getByText("release.rollback").waitFor();
  await page.fill('form.filters [name="action"]', "");
  await page.click('form.filters button[type="submit"]');
  await page.locator("main tbody").getByText("app.create").first().waitFor();
  await shot("audit");

  // --- a node goes silent: offline on the dashboard, an alert to acknowledge
  execFileSync(stopAgent[0], stopAgent.slice(1));
  await page.click('#nav a[data-view="dashboard"]');
  await page.locator("#card-nodes .card-value").getByText(`${nodeNames.length - 1} / ${nodeNames.length}`).waitFor();
  const alertRow = row("node_offline");
  await alertRow.getByText(nodeNames[0]).waitFor({ timeout: 30000 });
  await shot("dashboard-alert");
  await alertRow.getByRole("button", { name: "Acknowledge" }).click();
  await alertRow.getByText("acknowledged by token:1:bootstrap").waitFor();
  log("alert acknowledged");
  await page.click('#nav a[data-view="alerts"]');
  await page.selectOption("#alert-status", "");
  await row("node_offline").first().waitFor();
  // a rule that has fired nothing here (switching node_offline would fire it anew)
  const ruleRow = page.locator("main section tr", { hasText: "policy_load_failed" }).first();
  await ruleRow.getByRole("button", { name: "Disable" }).click();
  await ruleRow.getByText("disabled").waitFor();
  await ruleRow.getByRole("button", { name: "Enable" }).click();
  await ruleRow.getByText("enabled").waitFor();
  await shot("alerts");
  // a named channel made here, tested against a real receiver, notified by a rule edited here
  await page.click("#new-channel");
  await page.fill('#channel-form [name="name"]', "console-hook");
  await page.selectOption('#channel-form [name="plugin"]', "webhook");
  await page.fill('#channel-form [name="config"]', "{ not json");
  await page.click('#channel-form button[type="submit"]');
  await page.locator('#channel-form [name="config"][aria-invalid="true"]').waitFor();
  await page.fill('#channel-form [name="config"]', JSON.stringify({ url: hookUrl, secret: hookSecret }));
  await page.check('#channel-form input[value="critical"]');
  await page.click('#channel-form button[type="submit"]');
  const hookRow = page.locator("main section tr", { hasText: "console-hook" });
  await hookRow.getByText("critical").waitFor();
  assert.ok(!(await text("main")).includes(hookSecret), "the channel's secret is never shown");
  await hookRow.getByRole("button", { name: "Test" }).click();
  await page.locator("#alert-test").getByText("succeeded").waitFor();
  await page.click("#edit-certificate_expiring");
  await page.fill('#rule-form-certificate_expiring [name="days"]', "0");
  await page.check('#rule-form-certificate_expiring input[value="console-hook"]');
  await page.click('#rule-form-certificate_expiring button[type="submit"]');
  await page.locator('#rule-form-certificate_expiring [name="days"][aria-invalid="true"]').waitFor();
  await page.fill('#rule-form-certificate_expiring [name="days"]', "20");
  await page.click('#rule-form-certificate_expiring button[type="submit"]');
  const expiring = page.locator("main section tr", { hasText: "certificate_expiring" });
  await expiring.getByText('{"days":20}').waitFor();
  await expiring.getByText("console-hook").waitFor();
  // a channel a rule notifies cannot go
  await hookRow.getByRole("button", { name: "Delete" }).click();
  await hookRow.getByRole("button", { name: "Yes, delete" }).click();
  await hookRow.locator(".error").getByText("certificate_expiring").waitFor();
  await shot("alert-rules-channels");

  // --- the registry: a service and a static endpoint made, marked, removed, the service deleted
  await page.click('#nav a[data-view="registry"]');
  await page.locator("main tbody a").first().click();
  await page.locator("#endpoints tbody tr").first().waitFor();
  await shot("registry");
  await page.click("#new-service");
  await page.fill('#service-form [name="name"]', "console-static");
  await page.fill('#service-form [name="port"]', "8081");
  await page.click('#service-form button[type="submit"]');
  await page.locator("#endpoints h2").getByText("console-static").waitFor();
  await page.click("#add-endpoint");
  await page.fill('#endpoint-form [name="ip"]', "not-an-ip");
  await page.fill('#endpoint-form [name="port"]', "8081");
  await page.click('#endpoint-form button[type="submit"]');
  await page.locator('#endpoint-form [name="ip"][aria-invalid="true"]').waitFor();
  await page.fill('#endpoint-form [name="ip"]', "127.0.0.1");
  await page.click('#endpoint-form button[type="submit"]');
  const epRow = page.locator("#endpoints tr", { hasText: "127.0.0.1:8081" });
  await epRow.locator('[data-status="healthy"]').waitFor();
  await epRow.getByRole("button", { name: "Mark unhealthy" }).click();
  await epRow.locator('[data-status="unhealthy"]').waitFor();
  await shot("registry-endpoint");
  await epRow.getByRole("button", { name: "Remove" }).click();
  await epRow.getByRole("button", { name: "Yes, remove" }).click();
  await page.locator("#endpoints").getByText("No endpoint.").waitFor();
  const svcRow = row("console-static");
  await svcRow.getByRole("button", { name: "Delete" }).click();
  await svcRow.getByRole("button", { name: "Yes, delete" }).click();
  await svcRow.waitFor({ state: "detached" });
  log("alerts and registry checked");

  // --- a phone's width: nothing wider than the screen, every main view
  const narrow = [["dashboard", "#/"], ["apps", "#/apps"], ["app", `#/apps/${appId}`], ["nodes", "#/nodes"],
    ["audit", "#/audit"], ["configs", "#/configs"], ["certs", "#/certs"], ["tasks", "#/tasks"],
    ["policies", "#/policies"], ["tokens", "#/tokens"], ["alerts", "#/alerts"], ["registry", "#/registry"]];
  await page.setViewportSize({ width: 390, height: 844 });
  for (const [name, hash] of narrow) {
    await page.goto(`${url}/ui/${hash}`);
    await page.locator("main h1").first().waitFor();
    await page.waitForTimeout(300);
    const [sw, iw] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    assert.ok(sw <= iw, `${name} at 390 px: the page is ${sw} px wide`);
    await shot(`narrow-${name}`);
  }
  await page.setViewportSize({ width: 1400, height: 900 });
  log("390 px layouts checked");

  // --- the dark theme: the switch in the header, kept in this browser; the system's by default
  await page.emulateMedia({ colorScheme: "dark" });
  await page.goto(`${url}/ui/#/apps/${appId}`);
  await page.locator("main h1").first().waitFor();
  const bg = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  assert.equal(await bg(), "rgb(15, 20, 28)");
  await shot("dark-app");
  await page.click("#theme"); // auto -> dark
  await page.click("#theme"); // dark -> light
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "light");
  assert.equal(await bg(), "rgb(246, 247, 249)");
  await page.click("#theme"); // back to the system's
  await page.emulateMedia({ colorScheme: "light" });
  log("themes checked");

  // --- what does not exist says so, with a way back (not "cannot reach the API")
  await page.goto(`${url}/ui/#/apps/99999`);
  await page.locator("main h1").getByText("Not found").waitFor();
  assert.equal(await page.locator("#banner").isHidden(), true);
  await page.click("#back");
  await page.waitForURL(/#\/apps$/);
  log("404 checked");

  // --- 中文: the header's button switches the console's words, kept in this browser
  await page.click('#nav a[data-view="nodes"]');
  await page.click("#lang");
  await page.locator("main h1").getByText("节点").waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), "zh-CN");
  assert.equal(await page.locator('#nav a[data-view="apps"]').innerText(), "应用");
  assert.match(await text("main"), /最近心跳/);
  await shot("zh-nodes");
  await page.reload();
  await page.locator("main h1").getByText("节点").waitFor(); // the choice is kept
  await page.click("#lang");
  await page.locator("main h1").getByText("Nodes").waitFor();
  assert.equal(await page.locator("#logout").innerText(), "Log out");
  log("zh-CN checked");

  // --- log out: the session's token is gone
  await page.click("#logout");
  await page.locator("#login").waitFor();
  // (the theme and the language stay: they are no secret)
  assert.equal(await page.evaluate(() => sessionStorage.length +
    Object.keys(localStorage).filter((k) => k !== "pagoda.theme" && k !== "pagoda.lang").length), 0);

  // --- a token that may only read applications sees only that, and no button
  await page.fill("#token", viewerToken);
  await page.click("#login button[type=submit]");
  await page.locator("#card-releases").waitFor();
  assert.equal(await page.locator("#card-nodes, #card-certs, #card-alerts, #card-drift").count(), 0);
  const visibleNav = await page.locator("#nav a:visible").allInnerTexts();
  assert.deepEqual(visibleNav, ["Dashboard", "Applications"]);
  await page.click('#nav a[data-view="apps"]');
  await row("console-shop").waitFor();
  assert.equal(await page.locator("#new-app").count(), 0);
  await page.click('main a:text-is("default/console-shop")');
  await row("rollback").waitFor();
  await page.waitForTimeout(500);
  assert.equal(await page.locator("#new-release, #edit-app, button.rollback, #app-restart, #logs-follow, #unit-status-button").count(), 0);
  await shot("read-only");
  await page.click("#logout");
  await page.locator("#login").waitFor();
  log("read-only token checked");

  // --- an application deleted, in two clicks
  await page.fill("#token", token);
  await page.click("#login button[type=submit]");
  await page.locator("#card-nodes").waitFor();
  // one made for it (the checks after this script look at console-shop)
  const trashId = await page.evaluate(async (tk) => (await (await fetch("/admin/apps", { method: "POST",
    headers: { Authorization: `Bearer ${tk}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name: "console-trash", type: "SystemdService", selector: { labels: "role=none" },
      spec: { unit: { exec: "/bin/true" } } }) })).json()).id, token);
  await page.goto(`${url}/ui/#/apps/${trashId}`);
  await page.locator("main h1").getByText("default/console-trash").waitFor();
  await page.click("#delete-app");
  await page.locator(".warning").getByText("units stopped, sites removed").waitFor();
  await page.click("#delete-app-yes");
  await page.waitForURL(/#\/apps$/);
  await row("console-shop").waitFor();
  assert.equal(await row("console-trash").count(), 0);
  log("application deleted");

  assert.deepEqual(foreign, [], "the console fetched nothing from another origin");
  assert.deepEqual(pageErrors, [], "no script error");
  log("done");
} catch (e) {
  await shot("failure").catch(() => {});
  console.error(e);
  console.error("page text at failure:\n" + (await page.locator("body").innerText().catch(() => "?")).slice(0, 3000));
  process.exitCode = 1;
} finally {
  await browser.close();
}
