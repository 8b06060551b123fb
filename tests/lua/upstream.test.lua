local upstream = module("policies/upstream.lua")
local svc = { name = "shop", port = 9000 }

local function ep(node, ip, health, port)
  return { nodeId = node, ip = ip, port = port or 9000, weight = 10, health = health }
end

return {
  ["healthy only, sorted by node then address"] = function()
    local r = upstream.filter(svc, { ep(3, "10.0.0.3", "healthy"), ep(1, "10.0.0.9", "healthy"),
      ep(1, "10.0.0.1", "healthy"), ep(2, "10.0.0.2", "unhealthy") }, {})
    T.eq(r.status, "ok")
    local got = {}
    for i, s in ipairs(r.servers) do got[i] = s.nodeId .. "/" .. s.address end
    T.eq(got, { "1/10.0.0.1", "1/10.0.0.9", "3/10.0.0.3" })
    T.eq(r.servers[1].weight, 10)
    T.eq(r.servers[1].backup, false)
  end,
  ["input order does not change the output"] = function()
    local a = upstream.filter(svc, { ep(2, "10.0.0.2", "healthy"), ep(1, "10.0.0.1", "healthy") }, {})
    local b = upstream.filter(svc, { ep(1, "10.0.0.1", "healthy"), ep(2, "10.0.0.2", "healthy") }, {})
    T.eq(a, b)
  end,
  ["none healthy, strategy A: all kept, degraded"] = function()
    local r = upstream.filter(svc, { ep(1, "10.0.0.1", "unhealthy"), ep(2, "10.0.0.2", "unknown") },
      { strategy = "A", degradedWeight = 2 })
    T.eq(r.status, "degraded")
    T.eq(#r.servers, 2)
    T.eq(r.servers[2].weight, 2)
  end,
  ["none healthy, strategy B: unavailable"] = function()
    local r = upstream.filter(svc, { ep(1, "10.0.0.1", "unhealthy") }, { strategy = "B" })
    T.eq(r, { status = "unavailable", servers = {} })
  end,
  ["no endpoints at all is unavailable under A too"] = function()
    T.eq(upstream.filter(svc, {}, { strategy = "A" }).status, "unavailable")
  end,
  ["unknown health counts only when asked"] = function()
    T.eq(upstream.filter(svc, { ep(1, "10.0.0.1", "unknown") }, {}).status, "unavailable")
    T.eq(upstream.filter(svc, { ep(1, "10.0.0.1", "unknown") }, { includeUnknown = true }).status, "ok")
  end,
  ["bad endpoints name their field"] = function()
    T.err(function() upstream.filter(svc, { ep(1, "10.0.0.1;", "healthy") }, {}) end, "endpoints%[1%]%.ip")
    T.err(function() upstream.filter(svc, { ep(1, "10.0.0.1", "healthy", 70000) }, {}) end, "endpoints%[1%]%.port")
    T.err(function() upstream.filter(svc, {}, { strategy = "C" }) end, "opts.strategy")
  end,
  ["several endpoints of one node sort by address and port; no node id sorts first"] = function()
    local r = upstream.filter(svc, { ep(2, "10.0.0.2", "healthy", 9001), ep(2, "10.0.0.2", "healthy", 9000),
      ep(2, "10.0.0.10", "healthy"), ep(nil, "192.0.2.1", "healthy"), ep(1, "10.0.0.1", "healthy") }, {})
    local got = {}
    for i, s in ipairs(r.servers) do got[i] = (s.nodeId or "-") .. "/" .. s.address .. ":" .. s.port end
    T.eq(got, { "-/192.0.2.1:9000", "1/10.0.0.1:9000", "2/10.0.0.10:9000", "2/10.0.0.2:9000", "2/10.0.0.2:9001" })
  end,
  ["addresses are parsed strictly"] = function()
    for _, ip in ipairs({ "2001:db8::1", "::1", "::ffff:192.0.2.1", "255.255.255.255" }) do
      T.eq(upstream.filter(svc, { ep(1, ip, "healthy") }, {}).servers[1].address, ip)
    end
    for _, ip in ipairs({ "10.0.0.256", "10.0.0.01", "10.0.0", "fe80::1%eth0", "1:2", "::1::2", "" }) do
      T.err(function() upstream.filter(svc, { ep(1, ip, "healthy") }, {}) end, "endpoints%[1%]%.ip")
    end
  end,
}
