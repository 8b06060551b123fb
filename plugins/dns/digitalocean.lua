-- DNS-01 through DigitalOcean's API v2 with a personal access token
-- (scope domain:create, domain:read, domain:delete).
-- config: {apiToken, ttl?, endpoint?}
local api = require("dnsapi")
local M = { name = "digitalocean", version = "1.0.0", kind = "dns", uses_zone = true }
local WHO = "digitalocean"

function M.check(config) return api.check(WHO, config, { "apiToken" }) end

local function call(config, method, path, body)
  local status, raw, answer = api.call(WHO, {
    method = method, url = api.endpoint(config, "https://api.digitalocean.com") .. path,
    body = body and json.encode(body),
    headers = { Authorization = "Bearer " .. config.apiToken, ["Content-Type"] = "application/json" },
  }, { secrets = { config.apiToken }, timeout = config.timeout })
  if status < 200 or status > 299 then
    api.refused(WHO, method .. " " .. path, status, type(answer) == "table" and answer.message or raw,
      { config.apiToken })
  end
  return answer
end

local function records(zone) return "/v2/domains/" .. api.bare(zone) .. "/records" end

function M.present(config, zone, name, value)
  local r = call(config, "POST", records(zone),
    { type = "TXT", name = api.relative(name, zone), data = value, ttl = config.ttl or 30 })
  return { ok = true, id = r and r.domain_record and r.domain_record.id }
end

function M.cleanup(config, zone, name, value)
  local found = call(config, "GET", records(zone) .. "?type=TXT&name=" .. api.bare(name))
  for _, rec in ipairs(found and found.domain_records or {}) do
    if rec.data == value then call(config, "DELETE", records(zone) .. "/" .. math.tointeger(rec.id)) end
  end
  return { ok = true }
end

return M
