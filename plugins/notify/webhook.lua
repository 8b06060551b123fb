-- Alerts as a JSON POST to a URL.
-- config: {url = "https://hooks.example.com/pagoda", secret = "s3cret",
--          headers = {["X-Team"] = "ops"}, timeout = 10}
-- With a secret, the request carries
--   X-Pagoda-Timestamp: <unix ms>
--   X-Pagoda-Signature: sha256=<hex HMAC-SHA256(secret, timestamp .. "." .. body)>
-- so a receiver can check both origin and freshness.
local M = { name = "webhook", version = "1.0.0", kind = "notify" }

function M.send(config, alert)
  if type(config) ~= "table" or type(config.url) ~= "string" then
    error("notify/webhook: config.url is required", 0)
  end
  local body = json.encode(alert)
  local headers = { ["Content-Type"] = "application/json", ["User-Agent"] = "pagoda-webhook/1" }
  for k, v in pairs(config.headers or {}) do headers[k] = v end
  if config.secret then
    local ts = tostring(pagoda.now_ms())
    headers["X-Pagoda-Timestamp"] = ts
    headers["X-Pagoda-Signature"] = "sha256=" .. pagoda.hmac_sha256(config.secret, ts .. "." .. body)
  end
  local r, err = pagoda.http({ method = "POST", url = config.url, body = body, headers = headers,
    timeout = config.timeout or 10 })
  if not r then error("notify/webhook: " .. err, 0) end
  if r.status < 200 or r.status > 299 then
    error(string.format("notify/webhook: %s answered %d", config.url, r.status), 0)
  end
  return { ok = true, status = r.status }
end

return M
