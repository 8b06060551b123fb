// ui/i18n.js: every t("...") and data-i18n of the console has its zh-CN
// words, with the same {N} placeholders; the language follows the choice
// kept in the browser, else the browser's own (node --test).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";

const store = new Map();
globalThis.localStorage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v) };
const { ZH, t, lang, setLang, fmtTime } = await import("../../ui/i18n.js");

const ui = new URL("../../ui/", import.meta.url);
const sources = readdirSync(ui).filter((f) => (f.endsWith(".js") && f !== "i18n.js") || f.endsWith(".html"));

function used() {
  const keys = new Map();
  for (const f of sources) {
    const text = readFileSync(new URL(f, ui), "utf8");
    for (const m of text.matchAll(/\bt\("((?:[^"\\]|\\.)*)"/g)) keys.set(JSON.parse(`"${m[1]}"`), f);
    for (const m of text.matchAll(/data-i18n="([^"]*)"/g)) keys.set(m[1], f);
  }
  return keys;
}

test("every word the console marks has its translation", () => {
  const missing = [...used()].filter(([k]) => ZH[k] === undefined).map(([k, f]) => `${f}: ${k}`);
  assert.deepEqual(missing, []);
  assert.ok(used().size > 150, "the views mark their words");
});

test("translations keep the placeholders", () => {
  for (const [en, zh] of Object.entries(ZH)) {
    const ph = (s) => (s.match(/\{\d+\}/g) || []).sort().join();
    assert.equal(ph(zh), ph(en), en);
  }
});

test("the language: the choice kept, else the browser's", () => {
  assert.equal(lang(), "en"); // node's navigator is not Chinese
  assert.equal(t("Nodes"), "Nodes");
  setLang("zh-CN");
  assert.equal(t("Nodes"), "节点");
  assert.equal(t("{0} ago", "3m 2s"), "3m 2s前");
  assert.equal(t("a word nobody translated"), "a word nobody translated");
  setLang("en");
  assert.equal(t("{0} of {1}", "1 GiB", "2 GiB"), "1 GiB of 2 GiB");
});

test("times are written the chosen language's way (Intl)", () => {
  const noon = Date.UTC(2026, 11, 4, 12, 0);
  setLang("zh-CN");
  assert.match(fmtTime(noon), /^2026\/12\/4 /);
  setLang("en");
  assert.match(fmtTime(noon), /^12\/4\/26, /);
});
