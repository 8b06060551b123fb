-- The default wording of an alert message, {title, text}: what
-- templates/alert_message.lua renders, and what a notify plugin falls back
-- to when it is called without a rendered message (its own tests).
local M = {}

local function s(v, default) return v ~= nil and tostring(v) or default end

-- input: {event, alert = {id, rule, subject, severity, summary, firedAt}, prefix?, link?}
function M.render(input)
  local a = type(input.alert) == "table" and input.alert or {}
  local event = string.upper(s(input.event, "alert"))
  local title = string.format("[%s %s] %s %s", event, s(a.severity, "warning"), s(a.rule, "?"), s(a.subject, ""))
  local parts = {}
  if input.prefix then parts[#parts + 1] = s(input.prefix) end
  parts[#parts + 1] = title .. ": " .. s(a.summary or a.message, "")
  if a.firedAt then parts[#parts + 1] = "(since " .. s(a.firedAt) .. ")" end
  if input.link then
    local id = a.id and (math.tointeger(a.id) or a.id)
    parts[#parts + 1] = id and (s(input.link):gsub("/+$", "") .. "/#/alerts/" .. s(id)) or s(input.link)
  end
  return { title = title, text = table.concat(parts, " ") }
end

return M
