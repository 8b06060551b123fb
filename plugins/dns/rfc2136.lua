-- DNS-01 by RFC 2136 dynamic update, signed with TSIG (RFC 8945): what BIND,
-- Knot and PowerDNS speak. config:
--   {server = "192.0.2.53[:port]", tsig = {name = "acme-key", secret = "<base64>",
--    algorithm = "hmac-sha256"}, ttl = 60}
-- The server is the zone's primary; zone is the one pagodad found (SOA walk)
-- or the request's dns.zone. The secret is sealed at rest with the request.
local dns = require("dns")
-- uses_zone: pagodad finds the zone and waits for its name servers.
local M = { name = "rfc2136", version = "1.0.0", kind = "dns", uses_zone = true }

local function fail(field, message) error({ field = field, message = message }, 0) end

function M.check(config)
  if type(config.server) ~= "string" or config.server == "" then
    fail("config.server", "rfc2136 needs config.server, the primary's address (IP[:port])")
  end
  if config.tsig == nil then
    fail("config.tsig", "rfc2136 needs config.tsig {name, secret}: unsigned updates are refused")
  end
  for k in pairs(config) do
    if k ~= "server" and k ~= "tsig" and k ~= "ttl" and k ~= "timeout" then
      fail("config." .. tostring(k), "rfc2136 takes server, tsig, ttl and timeout")
    end
  end
  local ok, e = pcall(dns.tsig_sign, string.rep("\0", 12), config.tsig, 0)
  if not ok then
    if type(e) == "table" then e.field = "config." .. e.field end
    error(e, 0)
  end
  return true
end

local function change(config, zone, op, name, value)
  dns.update(config.server, zone, { { op = op, name = name, value = value, ttl = tonumber(config.ttl) or 60 } },
    config.tsig, { timeout = tonumber(config.timeout) or 10 })
  return { ok = true }
end

function M.present(config, zone, name, value) return change(config, zone, "add", name, value) end
function M.cleanup(config, zone, name, value) return change(config, zone, "delete", name, value) end

return M
