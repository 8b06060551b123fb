-- The message a notify channel sends for an alert: render(input) ->
-- {title, text}. Override it (PUT /admin/policies/templates/alert_message.lua)
-- to change every channel's wording, or give one channel its own template
-- with the channel's "template" field. input:
--   event    "firing", "resolved" or "test"
--   alert    {id, rule, subject, severity, summary, status, firedAt, resolvedAt}
--   channel  {plugin, index}; prefix and link from the channel's config
--            (link: the console's URL, where the alert can be seen)
local alert_text = require("alert_text")
local M = {}

function M.render(input)
  if type(input) ~= "table" then error({ field = "input", message = "input must be a table" }, 0) end
  return alert_text.render(input)
end

function M.selftest()
  local m = M.render({ event = "firing", alert = { id = 7, rule = "node_offline", subject = "node:3",
    severity = "critical", summary = "node a is offline", firedAt = "2026-12-03T10:00:00Z" },
    link = "https://pagoda.example/" })
  assert(m.title == "[FIRING critical] node_offline node:3", m.title)
  assert(m.text:find("https://pagoda.example/#/alerts/7", 1, true), m.text)
end

return M
