// The console's shell: login, the hash router, and the life of a view
// (its timers stop when the operator leaves it).
import { api, session, setUnauthorizedHandler } from "./api.js";
import { h, replace, errorBox } from "./dom.js";
import * as dashboard from "./dashboard.js";
import * as nodes from "./nodes.js";
import * as apps from "./apps.js";
import * as release from "./release.js";
import * as certs from "./certs.js";
import * as configs from "./configs.js";
import * as audit from "./audit.js";
import * as tasks from "./tasks.js";
import * as policies from "./policies.js";
import * as tokens from "./tokens.js";
import * as alerts from "./alerts.js";
import * as registry from "./registry.js";
import { t, lang, setLang, fmtTime } from "./i18n.js";

const routes = [
  [/^\/?$/, "dashboard", dashboard.render],
  [/^\/nodes$/, "nodes", nodes.renderList],
  [/^\/nodes\/(\d+)$/, "nodes", nodes.renderOne],
  [/^\/apps$/, "apps", apps.renderList],
  [/^\/apps\/new$/, "apps", apps.renderNew],
  [/^\/apps\/(\d+)$/, "apps", apps.renderOne],
  [/^\/releases\/(\d+)$/, "apps", release.render],
  [/^\/certs$/, "certs", certs.render],
  [/^\/configs$/, "configs", configs.renderList],
  [/^\/configs\/new$/, "configs", configs.renderNew],
  [/^\/configs\/(\d+)$/, "configs", configs.renderOne],
  [/^\/audit$/, "audit", audit.render],
  [/^\/tasks$/, "tasks", tasks.render],
  [/^\/policies$/, "policies", policies.render],
  [/^\/tokens$/, "tokens", tokens.render],
  [/^\/alerts$/, "alerts", alerts.render],
  [/^\/registry$/, "registry", registry.render],
];

const $ = (id) => document.getElementById(id);
let current = null; // the view on screen: { timers, alive }

// What a view gets: where to draw, who is logged in, and timers that die
// with it. live(fn, ms) runs fn now and again every ms until the view goes
// or fn returns false.
function viewContext(me) {
  const ctx = { me, timers: [], leave: [], alive: true };
  ctx.onLeave = (fn) => ctx.leave.push(fn); // streams to close when the view goes
  ctx.can = (perm) => me.permissions.includes("*") || me.permissions.includes(perm);
  ctx.live = async (fn, ms) => {
    let timer = null, more = true;
    const tick = async () => {
      if (!ctx.alive) return;
      try { more = (await fn()) !== false; banner(null); } catch (e) { if (ctx.alive) banner(e); }
      if (!more && timer) clearInterval(timer);
    };
    await tick();
    if (ctx.alive && more) ctx.timers.push(timer = setInterval(tick, ms));
  };
  ctx.go = (hash) => { location.hash = hash; };
  return ctx;
}

function leaveView() {
  if (!current) return;
  current.alive = false;
  current.timers.forEach(clearInterval);
  current.leave.forEach((fn) => fn());
}

// A refresh that failed: the API's own answer said as it is, or, when the
// API cannot be reached, the time the data on screen is from (marked stale).
let lastGood = null;
function banner(err) {
  const b = $("banner");
  b.hidden = !err;
  $("main").classList.toggle("stale", !!err && !err.status);
  if (!err) {
    lastGood = new Date();
    return;
  }
  if (err.status) replace(b, `The API answered ${err.status}: ${err.message}`);
  else replace(b, `Cannot reach the API (${err.message}).`, lastGood
    ? ` What you see is from ${fmtTime(lastGood.getTime())}, not live.` : "");
}

// The theme: auto (the system's), dark or light, kept in this browser.
const THEMES = ["auto", "dark", "light"];
const systemDark = window.matchMedia("(prefers-color-scheme: dark)");
function applyTheme() {
  const pref = localStorage.getItem("pagoda.theme") || "auto";
  document.documentElement.dataset.theme = pref === "auto" ? (systemDark.matches ? "dark" : "light") : pref;
  $("theme").title = pref === "auto" ? t("Theme: follows the system") : t("Theme: {0}", pref);
  $("theme").dataset.pref = pref;
}
systemDark.addEventListener("change", applyTheme);
$("theme").addEventListener("click", () => {
  const pref = localStorage.getItem("pagoda.theme") || "auto";
  localStorage.setItem("pagoda.theme", THEMES[(THEMES.indexOf(pref) + 1) % THEMES.length]);
  applyTheme();
});
applyTheme();

// The language: the page's own words (the header's) now, the views' as
// they are drawn; the button switches between English and 中文.
function applyLang() {
  document.documentElement.lang = lang();
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  $("lang").textContent = lang() === "zh-CN" ? "EN" : "中";
  $("lang").title = lang() === "zh-CN" ? t("Language: 中文 (click for English)") : t("Language: English (click for 中文)");
  applyTheme();
}
$("lang").addEventListener("click", () => {
  setLang(lang() === "zh-CN" ? "en" : "zh-CN");
  applyLang();
  show();
});
applyLang();

let me = null;

async function show() {
  leaveView();
  banner(null);
  const main = $("main");
  if (!session.token()) return showLogin();
  if (!me) {
    try { me = await api("GET", "/admin/whoami"); } catch (e) { if (e.status === 401) return logout(); throw e; }
  }
  const path = location.hash.replace(/^#/, "").split("?")[0];
  $("top").hidden = false;
  replace($("who"), me.actor);
  // views the token cannot read are not offered (the API would refuse them)
  const can = (perm) => !perm || me.permissions.includes("*") || me.permissions.includes(perm);
  document.querySelectorAll("#nav a").forEach((a) => { a.hidden = !can(a.dataset.perm); });
  for (const [re, nav, render] of routes) {
    const m = re.exec(path);
    if (!m) continue;
    document.querySelectorAll("#nav a").forEach((a) => a.classList.toggle("current", a.dataset.view === nav));
    current = viewContext(me);
    replace(main, h("p", { class: "loading" }, t("Loading…")));
    try {
      await render(main, m.slice(1), current);
    } catch (e) {
      if (!current.alive) return;
      if (e.status === 404) // said as it is, with a way back
        replace(main, h("h1", {}, t("Not found")), h("p", {}, e.message),
          h("p", {}, h("a", { href: `#/${nav === "dashboard" ? "" : nav}`, id: "back" }, t("Back to the list"))));
      else if (e.status) replace(main, errorBox(e));
      else banner(e);
    }
    return;
  }
  replace(main, h("h1", {}, t("Not found")), h("p", {}, t("No such page: ") + path));
}

function showLogin(message) {
  $("top").hidden = true;
  const input = h("input", { type: "password", id: "token", name: "token", autocomplete: "off", required: true,
    placeholder: "pga_…", "aria-label": t("API token") });
  const out = h("div", {}, message ? h("p", { class: "error", role: "alert" }, message) : null);
  const form = h("form", { id: "login", onsubmit: async (ev) => {
    ev.preventDefault();
    const token = input.value.trim();
    try {
      me = await api("GET", "/admin/whoami", undefined, token);
      session.set(token);
      input.value = "";
      show();
    } catch (e) {
      replace(out, errorBox(e.status === 401 ? { message: t("This token is not valid (unknown, revoked or expired).") } : e));
    }
  } },
    h("h1", {}, "Pagoda"),
    h("p", {}, t("Log in with an admin API token. It is kept for this browser tab only.")),
    input, h("button", { type: "submit" }, t("Log in")), out);
  replace($("main"), form);
  input.focus();
}

function logout(message) {
  session.clear();
  me = null;
  leaveView();
  showLogin(message);
}

setUnauthorizedHandler(() => logout("The session's token was refused; log in again."));
$("logout").addEventListener("click", () => { location.hash = "#/"; logout(); });
window.addEventListener("hashchange", show);
show();
