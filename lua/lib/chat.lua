-- What the chat notifiers (plugins/notify/{slack,dingtalk,feishu,wecom,
-- telegram}.lua) share: the alert as one short text, a JSON POST that
-- fails loudly, percent-encoding for signed query strings.
local alert_text = require("alert_text")
local M = {}

-- The alert as one text: the message pagodad rendered from the channel's
-- template (templates/alert_message.lua), or the same default wording
-- (lib/alert_text.lua) when a plugin is called on its own, as in its tests.
function M.message(config, payload)
  if type(payload.message) == "table" and type(payload.message.text) == "string" then
    return payload.message
  end
  return alert_text.render({ event = payload.event, alert = payload.alert, prefix = config.prefix,
    link = config.link })
end

function M.text(config, payload) return M.message(config, payload).text end

-- RFC 3986 percent-encoding: the one the cloud signatures use too.
M.urlencode = require("cloudsign").percent

-- text with each of secrets (strings) replaced by ******: a credential in
-- a URL must not reach an error message, a log or lastError.
local function scrub(text, secrets)
  for _, sec in ipairs(secrets or {}) do
    if type(sec) == "string" and #sec > 0 then
      text = text:gsub(sec:gsub("%W", "%%%0"), "******")
    end
  end
  return text
end
M.scrub = scrub

-- POSTs body (a table, sent as JSON) to url; the answer's JSON (or nil).
-- who names the plugin in errors, which never show secrets (the strings
-- a URL carries as credentials); ok(answer) says whether the provider took
-- it (they answer 200 with an error code inside).
function M.post(who, url, body, opts)
  opts = opts or {}
  local r, err = pagoda.http({ method = "POST", url = url, body = json.encode(body),
    headers = { ["Content-Type"] = "application/json", ["User-Agent"] = "pagoda-notify/1" },
    timeout = opts.timeout or 10 })
  if not r then error(scrub("notify/" .. who .. ": " .. err, opts.secrets), 0) end
  local okj, answer = pcall(json.decode, r.body or "")
  if not okj then answer = nil end
  if r.status < 200 or r.status > 299 then
    error(scrub(string.format("notify/%s: %s answered %d: %s", who, url, r.status,
      string.sub(r.body or "", 1, 200)), opts.secrets), 0)
  end
  if opts.ok and not opts.ok(answer) then
    error(scrub(string.format("notify/%s: refused: %s", who, string.sub(r.body or "", 1, 300)),
      opts.secrets), 0)
  end
  return { ok = true, status = r.status, answer = answer }
end

function M.need(who, config, ...)
  if type(config) ~= "table" then error("notify/" .. who .. ": config must be a table", 0) end
  for _, k in ipairs({ ... }) do
    if type(config[k]) ~= "string" or config[k] == "" then
      error(string.format("notify/%s: config.%s is required", who, k), 0)
    end
  end
end

return M
