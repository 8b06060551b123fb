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

local function valid(e)
  if type(e) ~= "table" then return false end
  local n, p, w = e.nodeId, e.port, e.weight
  return (n == nil or n == json.null or (math.type(n) == "integer" and n >= 0))
    and math.type(p) == "integer" and p >= 1 and p <= 65535
    and (w == nil or (math.type(w) == "integer" and w >= 1 and w <= 1000))
    and check.is_ip(e.ip)
end

function M.filter(service, endpoints, opts)
  check.type(service, "table", "service")
  check.list(check.optional(endpoints, "table", "endpoints", {}), "endpoints")
  opts = check.optional(opts, "table", "opts", {})
  local strategy = check.oneof(opts.strategy or "B", "opts.strategy", { "A", "B" })
  local degraded = opts.degradedWeight and check.integer(opts.degradedWeight, "opts.degradedWeight", 1, 1000) or 1
  local all, healthy = {}, {}
  local include_unknown = opts.includeUnknown == true
  for i, e in ipairs(endpoints) do
    -- the common case is checked without building field names; only a bad
    -- endpoint goes through the checks that name what is wrong
    if not valid(e) then
      local f = "endpoints[" .. i .. "]"
      check.type(e, "table", f)
      if e.nodeId ~= nil and e.nodeId ~= json.null then check.integer(e.nodeId, f .. ".nodeId", 0) end
      check.ip(e.ip, f .. ".ip")
      check.port(e.port, f .. ".port")
      if e.weight ~= nil then check.integer(e.weight, f .. ".weight", 1, 1000) end
    end
    local node = e.nodeId
    if node == json.null then node = nil end
    local s = { nodeId = node, ip = e.ip, port = e.port, weight = e.weight or 1 }
    s.key = key(s)
    all[#all + 1] = s
    local h = e.health
    if h == "healthy" or (include_unknown and h == "unknown") then
      healthy[#healthy + 1] = s
    end
  end
  local function sorted(list)
    -- sort the keys with Lua's own string order (no comparator call per
    -- comparison), then look the endpoints up by key
    local keys, by = {}, {}
    for i, s in ipairs(list) do keys[i] = s.key; by[s.key] = s end
    table.sort(keys)
    local out = {}
    for i, k in ipairs(keys) do
      local s = by[k]
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
