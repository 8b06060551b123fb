-- Static upstream filtering (design.md 15).
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

local ip_family, mtype = pagoda.ip_family, math.type

local function valid(e)
  if type(e) ~= "table" then return false end
  local n, p, w = e.nodeId, e.port, e.weight
  return (n == nil or n == json.null or (mtype(n) == "integer" and n >= 0))
    and mtype(p) == "integer" and p >= 1 and p <= 65535
    and (w == nil or (mtype(w) == "integer" and w >= 1 and w <= 1000))
    and ip_family(e.ip) ~= nil
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
    -- already in the shape of a server: sorting reorders, never copies
    local s = { nodeId = node, address = e.ip, port = e.port, weight = e.weight or 1, backup = false }
    all[#all + 1] = s
    local h = e.health
    if h == "healthy" or (include_unknown and h == "unknown") then
      healthy[#healthy + 1] = s
    end
  end
  local function sorted(list)
    -- by node id (integers sort fast), then by ip|port within a node. Most
    -- nodes have one endpoint: by[id] is that server itself, and a list of
    -- servers (no .address) only for a node with several.
    local ids, by = {}, {}
    for _, s in ipairs(list) do
      local id = s.nodeId or 0
      local cur = by[id]
      if cur == nil then
        by[id] = s
        ids[#ids + 1] = id
      elseif cur.address then
        by[id] = { cur, s }
      else
        cur[#cur + 1] = s
      end
    end
    table.sort(ids)
    local out = {}
    for _, id in ipairs(ids) do
      local g = by[id]
      if g.address then
        out[#out + 1] = g
      else
        local key = {}
        for _, s in ipairs(g) do key[s] = string.format("%s|%05d", s.address, s.port) end
        table.sort(g, function(x, y) return key[x] < key[y] end)
        for _, s in ipairs(g) do out[#out + 1] = s end
      end
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
