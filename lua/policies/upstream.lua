-- Static upstream filtering (seed 15).
--
-- filter(service, endpoints, opts) -> {status = ..., servers = {...}}
--   service    {name = "shop", port = 9000, protocol = "http"}
--   endpoints  {{nodeId = 1, ip = "10.0.0.1", port = 9000, weight = 10,
--                health = "healthy"|"unhealthy"|"unknown"}, ...}
--   opts       {strategy = "A"|"B", degradedWeight = 1, includeUnknown = false}
-- Healthy endpoints only, sorted by nodeId then ip:port, so the same input
-- renders the same bytes. When none is healthy:
--   strategy "A": keep all of them, degraded (weight degradedWeight) -> status "degraded"
--   strategy "B": no servers -> status "unavailable" (the site answers 503)
-- No endpoints at all is "unavailable" under either strategy.
local check = require("check")

local M = {}

local function key(e)
  return string.format("%020d|%s|%05d", e.nodeId or 0, e.ip, e.port)
end

function M.filter(service, endpoints, opts)
  check.type(service, "table", "service")
  check.list(check.optional(endpoints, "table", "endpoints", {}), "endpoints")
  opts = check.optional(opts, "table", "opts", {})
  local strategy = check.oneof(opts.strategy or "B", "opts.strategy", { "A", "B" })
  local degraded = opts.degradedWeight and check.integer(opts.degradedWeight, "opts.degradedWeight", 1, 1000) or 1
  local all, healthy = {}, {}
  for i, e in ipairs(endpoints) do
    local f = "endpoints[" .. i .. "]"
    check.type(e, "table", f)
    local s = {
      nodeId = e.nodeId ~= nil and e.nodeId ~= json.null and check.integer(e.nodeId, f .. ".nodeId", 0) or nil,
      ip = check.ip(e.ip, f .. ".ip"),
      port = check.port(e.port, f .. ".port"),
      weight = e.weight and check.integer(e.weight, f .. ".weight", 1, 1000) or 1,
    }
    all[#all + 1] = s
    if e.health == "healthy" or (opts.includeUnknown == true and e.health == "unknown") then
      healthy[#healthy + 1] = s
    end
  end
  local function sorted(list)
    table.sort(list, function(a, b) return key(a) < key(b) end)
    local out = {}
    for i, s in ipairs(list) do
      out[i] = { nodeId = s.nodeId, address = s.ip, port = s.port, weight = s.weight, backup = false }
    end
    return out
  end
  if #healthy > 0 then
    return { status = "ok", servers = sorted(healthy) }
  end
  if strategy == "A" and #all > 0 then
    local out = sorted(all)
    for _, s in ipairs(out) do s.weight = degraded end
    return { status = "degraded", servers = out }
  end
  return { status = "unavailable", servers = {} }
end

function M.selftest()
  local r = M.filter({ name = "s" }, {
    { nodeId = 2, ip = "10.0.0.2", port = 80, health = "healthy" },
    { nodeId = 1, ip = "10.0.0.1", port = 80, health = "healthy" },
    { nodeId = 3, ip = "10.0.0.3", port = 80, health = "unhealthy" } }, {})
  assert(r.status == "ok" and #r.servers == 2 and r.servers[1].nodeId == 1, "selftest: filter")
end

return M
