// Admin tokens: who can do what. A new one gets the permissions ticked (a
// token mints only what it holds itself, the API says which it lacks); its
// secret is shown once. Revoking takes two clicks.
import { get, post, del } from "./api.js";
import { h, replace, table, when, field, form, confirmAction } from "./dom.js";
import { t } from "./i18n.js";

// The permission codes are the API's own: each operation of its OpenAPI
// document names the one it needs (x-permission).
async function permissionCodes() {
  const doc = await get("/openapi.json");
  const codes = new Set();
  for (const ops of Object.values(doc.paths))
    for (const op of Object.values(ops)) if (op && op["x-permission"]) codes.add(op["x-permission"]);
  return [...codes].sort();
}

function newTokenForm(codes, done) {
  const name = h("input", { name: "name", required: true, placeholder: "ci-deploy" });
  const boxes = codes.map((p) => h("label", { class: "check" }, h("input", { type: "checkbox", value: p, name: "perm" }), " ", p));
  return form("token-form", [field(t("Name"), name),
    h("div", { class: "field" }, h("span", {}, t("Permissions")), h("div", { class: "checks" }, boxes))],
  t("Create token"), async () => {
    const permissions = boxes.map((b) => b.firstChild).filter((i) => i.checked).map((i) => i.value);
    const tok = await post("/admin/tokens", { name: name.value.trim(), permissions });
    done();
    return h("div", {}, h("p", {}, t("The token, shown this once:")), h("p", { class: "secret-token", id: "new-token" }, tok.token));
  });
}

export async function render(main, _params, ctx) {
  const body = h("div"), armed = {}; // per token, across redraws
  const draw = async () => {
    const tokens = (await get("/admin/tokens")).items;
    replace(body, table([
      { title: t("Name"), cell: (x) => x.name },
      { title: t("Permissions"), cell: (x) => (x.permissions || []).map((p) => h("span", { class: "chip" }, p)) },
      { title: t("Created"), cell: (x) => when(x.createdAt) },
      { title: t("Expires"), cell: (x) => x.expiresAt ? when(x.expiresAt) : t("never") },
      { title: t("Revoked"), cell: (x) => x.revokedAt ? when(x.revokedAt) : "" },
      { title: "", cell: (x) => x.revokedAt ? "" : confirmAction(t("Revoke"), t("Whatever uses it stops working."), async () => {
        await del(`/admin/tokens/${x.id}`);
        await draw();
      }, { id: `revoke-${x.id}` }, armed[x.id] ||= {}) },
    ], tokens, t("No token.")));
  };
  replace(main, h("h1", {}, t("Tokens")), newTokenForm(await permissionCodes(), () => draw()), body);
  await ctx.live(draw, 15000);
}
