-- Alerts by email (SMTP through libcurl, never in clear text).
-- config: {url = "smtp://mail.example.com:587" (STARTTLS, required) or
--                "smtps://mail.example.com:465" (TLS from the first byte),
--          from = "Pagoda <pagoda@example.com>", to = {"ops@example.com", ...},
--          user?, password?, caFile? (a private mail server's CA), timeout?,
--          prefix?, link?}
-- Subject: "[FIRING critical] node_offline node:3"; the body says what and
-- since when, with the alert's fields one per line.
local chat = require("chat")
local M = { name = "email", version = "1.0.0", kind = "notify" }

function M.subject(config, payload) return chat.message(config, payload).title end

function M.body(config, payload)
  local a = payload.alert or {}
  local lines = { chat.text(config, payload), "" }
  local keys = {}
  for k, v in pairs(a) do
    if type(v) ~= "table" then keys[#keys + 1] = k end
  end
  table.sort(keys)
  for _, k in ipairs(keys) do lines[#lines + 1] = string.format("%s: %s", k, tostring(a[k])) end
  lines[#lines + 1] = ""
  lines[#lines + 1] = "-- sent by Pagoda"
  return table.concat(lines, "\n")
end

function M.send(config, payload)
  chat.need("email", config, "url", "from")
  if type(config.to) == "string" then config.to = { config.to } end
  if type(config.to) ~= "table" or #config.to == 0 then
    error("notify/email: config.to is required (a list of addresses)", 0)
  end
  local ok, err = pagoda.smtp({ url = config.url, from = config.from, to = config.to,
    subject = M.subject(config, payload), body = M.body(config, payload), user = config.user,
    password = config.password, caFile = config.caFile, timeout = config.timeout })
  if not ok then error(chat.scrub("notify/email: " .. err, { config.password }), 0) end
  return { ok = true, recipients = #config.to }
end

return M
