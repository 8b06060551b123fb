-- What the cloud DNS plugins (plugins/dns/{cloudflare,alidns,dnspod,
-- route53,digitalocean}.lua) share: config checks that name the field, the
-- record's name relative to its zone, and one HTTP call that fails loudly
-- and never puts a credential in an error.
local chat = require("chat")
local M = {}

local function fail(field, message) error({ field = field, message = message }, 0) end

-- config must have the required strings and nothing outside allowed (the
-- required ones plus endpoint, ttl and timeout, which every plugin takes).
function M.check(who, config, required, allowed)
  local known = { endpoint = true, ttl = true, timeout = true }
  for _, k in ipairs(required) do
    known[k] = true
    if type(config[k]) ~= "string" or config[k] == "" then
      fail("config." .. k, string.format("dns/%s needs config.%s", who, k))
    end
  end
  for _, k in ipairs(allowed or {}) do known[k] = true end
  for k in pairs(config) do
    if not known[k] then
      local names = {}
      for n in pairs(known) do names[#names + 1] = n end
      table.sort(names)
      fail("config." .. tostring(k), string.format("dns/%s takes %s", who, table.concat(names, ", ")))
    end
  end
  if config.endpoint ~= nil and (type(config.endpoint) ~= "string" or not config.endpoint:match("^https?://[^/]")) then
    fail("config.endpoint", "config.endpoint is an http(s) URL")
  end
  if config.ttl ~= nil and (math.type(config.ttl) ~= "integer" or config.ttl < 1) then
    fail("config.ttl", "config.ttl is a positive number of seconds")
  end
  return true
end

function M.bare(name) return (name:gsub("%.$", "")) end

-- fqdn relative to zone: "_acme-challenge.www" for ("_acme-challenge.www.example.com", "example.com"),
-- "@" for the apex.
function M.relative(fqdn, zone)
  local n, z = M.bare(fqdn):lower(), M.bare(zone):lower()
  if n == z then return "@" end
  if n:sub(-#z - 1) ~= "." .. z then
    error(string.format("dns: %s is not in the zone %s", fqdn, zone), 0)
  end
  return n:sub(1, #n - #z - 1)
end

function M.endpoint(config, default)
  return ((config.endpoint or default):gsub("/+$", ""))
end

-- req {method, url, headers, body}; opts {secrets, timeout}. Returns the
-- status, body and the body's JSON (nil when it is not JSON). Only a failed
-- exchange raises here: each plugin reads its provider's error format.
function M.call(who, req, opts)
  local r, err = pagoda.http({ method = req.method, url = req.url, body = req.body, headers = req.headers,
    timeout = opts.timeout or 20 })
  if not r then error(chat.scrub("dns/" .. who .. ": " .. err, opts.secrets), 0) end
  local okj, answer = pcall(json.decode, r.body or "")
  return r.status, r.body or "", okj and answer or nil
end

-- The error for an answer the provider refused: status and its message.
function M.refused(who, what, status, message, secrets)
  error(chat.scrub(string.format("dns/%s: %s: the API answered %d: %s", who, what, status,
    tostring(message):sub(1, 300)), secrets), 0)
end

return M
