-- Renders a configuration item that is a template (lib/template.lua
-- syntax) for one node. render(input) -> text. input:
--   template   the item's content
--   node       {id, name, ip, labels}        (may be empty)
--   app        {...}                         (may be empty)
--   values     {...} explicit values         (may be empty)
-- Configuration files are free text, so values are inserted as they are.
local template = require("template")

local M = {}

function M.render(input)
  if type(input) ~= "table" or type(input.template) ~= "string" then
    error({ field = "template", message = "template: must be text" }, 0)
  end
  local function tbl(v) return type(v) == "table" and v or {} end
  local ok, out = pcall(template.render, input.template,
    { node = tbl(input.node), app = tbl(input.app), values = tbl(input.values) }, tostring, "config")
  if not ok then
    error({ field = "content", message = "content: " .. tostring(type(out) == "table" and out.message or out) }, 0)
  end
  return out
end

function M.selftest()
  assert(M.render({ template = "port={{ values.port }}", values = { port = 80 } }) == "port=80")
end

return M
