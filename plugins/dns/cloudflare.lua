-- DNS-01 through Cloudflare's API v4 with an API token (Zone:DNS:Edit on
-- the zone; Zone:Read too unless config.zoneId is given).
-- config: {apiToken, zoneId?, ttl?, endpoint?}
local api = require("dnsapi")
local M = { name = "cloudflare", version = "1.0.0", kind = "dns", uses_zone = true }
local WHO = "cloudflare"

function M.check(config) return api.check(WHO, config, { "apiToken" }, { "zoneId" }) end

local function call(config, method, path, body)
  local status, raw, answer = api.call(WHO, {
    method = method, url = api.endpoint(config, "https://api.cloudflare.com/client/v4") .. path,
    body = body and json.encode(body),
    headers = { Authorization = "Bearer " .. config.apiToken, ["Content-Type"] = "application/json" },
  }, { secrets = { config.apiToken }, timeout = config.timeout })
  if status < 200 or status > 299 or type(answer) ~= "table" or answer.success ~= true then
    local e = type(answer) == "table" and type(answer.errors) == "table" and answer.errors[1]
    api.refused(WHO, method .. " " .. path, status, e and e.message or raw, { config.apiToken })
  end
  return answer.result
end

local function zone_id(config, zone)
  if config.zoneId then return config.zoneId end
  local found = call(config, "GET", "/zones?name=" .. api.bare(zone))
  if type(found) ~= "table" or not found[1] then
    error(string.format("dns/cloudflare: the token sees no zone %s", zone), 0)
  end
  return found[1].id
end

function M.present(config, zone, name, value)
  local id = zone_id(config, zone)
  local r = call(config, "POST", "/zones/" .. id .. "/dns_records",
    { type = "TXT", name = api.bare(name), content = value, ttl = config.ttl or 120 })
  return { ok = true, id = r and r.id }
end

function M.cleanup(config, zone, name, value)
  local id = zone_id(config, zone)
  local found = call(config, "GET", "/zones/" .. id .. "/dns_records?type=TXT&name=" .. api.bare(name))
  for _, rec in ipairs(found or {}) do
    if rec.content == value or rec.content == '"' .. value .. '"' then
      call(config, "DELETE", "/zones/" .. id .. "/dns_records/" .. rec.id)
    end
  end
  return { ok = true }
end

return M
