-- Renders one nginx site (design.md 7.4, 15): server blocks for the domains on
-- port 80 and, with TLS, 443; one location per path rule; static upstream
-- blocks from the upstream policy's output; proxy headers and websocket
-- upgrade; HTTP-01 challenge handling; a 503 location when the upstream
-- policy answered "unavailable" (strategy B).
--
-- render(site) -> the config text. site:
--   name         "shop"                       (letters, digits, . _ -)
--   domains      {"shop.example.com", "*.shop.example.com"}
--   listen       {http = 80, https = 443}     (optional)
--   tls          {enabled = true, certPath = "/etc/ssl/pagoda/shop.crt",
--                 keyPath = "/etc/ssl/pagoda/shop.key", redirect = true}
--   locations    {{path = "/", upstream = "shop_web"}, ...}
--   upstreams    {{name = "shop_web", status = "ok"|"degraded"|"unavailable",
--                  servers = {{address = "10.0.0.1", port = 9000, weight = 1, backup = false}}}}
--   acme         {mode = "proxy", proxyPass = "http://10.0.0.10:8080"} (or https://) or
--                {mode = "root", root = "/var/lib/pagoda/acme"}   (optional)
--   clientMaxBodySize "10m" (optional)
--   releaseDir   "/var/lib/pagoda/apps/shop/current" (the app's unpacked
--                artifacts; static locations' roots are relative to it)
--   locations may serve files instead: {path = "/", static = {root = "dist",
--                index = {"index.html"}, spa = true}}  (spa: unknown paths
--                answer the first index file, for client-side routing)
--   hsts         {maxAge = 31536000, includeSubdomains = false, preload = false} (needs tls)
--   headers      {["X-Frame-Options"] = "DENY", ...}  (added to every answer)
--   rateLimit    {rate = "10r/s", burst = 20, nodelay = false}  (per client address; 429)
--   rewrites     {{match = "^/old/(.*)$", replace = "/new/$1", flag = "permanent"}, ...}
--                (flag: last, break, redirect, permanent)
--   proxyTimeouts {connect = 5, read = 60, send = 60}  (seconds)
--   balancing    "round_robin" | "least_conn" | "ip_hash"
local check = require("check")
local template = require("template")

local M = {}

local ip_family, mtype = pagoda.ip_family, math.type

-- The address family of a good server (4 or 6), nil for a bad one.
local function server_ok(sv)
  if type(sv) ~= "table" then return nil end
  local p, w, b = sv.port, sv.weight, sv.backup
  if mtype(p) == "integer" and p >= 1 and p <= 65535
      and (w == nil or (mtype(w) == "integer" and w >= 1 and w <= 1000))
      and (b == nil or b == json.null or type(b) == "boolean") then
    return ip_family(sv.address)
  end
end

-- A path below releaseDir: relative, no "..", nothing nginx reads as syntax.
local function static_root(v, field)
  check.type(v, "string", field)
  if v == "" or v == "." then return "" end
  check.path("/" .. v, field)
  return "/" .. v:gsub("/$", "")
end

local function static_location(st, path, f, release_dir)
  check.fields(check.type(st, "table", f), { "root", "index", "spa" }, f .. ".")
  if not release_dir then check.fail(f, "a static location needs the site's releaseDir") end
  if path ~= "/" and not path:match("/$") then
    check.fail(f, "a static location other than / must end in / (it is an alias)")
  end
  local loc = { dir = release_dir .. static_root(check.optional(st.root, "string", f .. ".root", ""), f .. ".root") }
  loc.alias = path ~= "/"
  loc.index = {}
  local index = check.list(check.optional(st.index, "table", f .. ".index", { "index.html" }), f .. ".index", 10)
  if #index == 0 then check.fail(f .. ".index", "list at least one file") end
  for i, name in ipairs(index) do
    local g = f .. ".index[" .. i .. "]"
    check.name(name, g)
    loc.index[i] = name
  end
  if check.optional(st.spa, "boolean", f .. ".spa", false) then
    loc.fallback = path .. loc.index[1]
  else
    loc.fallback = "=404"
  end
  return loc
end

local function seconds(t, k, default)
  return t[k] == nil and default or check.integer(t[k], "proxyTimeouts." .. k, 1, 3600)
end

-- The options every server of the site gets: headers, HSTS, rate limit,
-- rewrites, proxy timeouts. Values go out double-quoted (check.nginx_quoted).
local function validate_options(site, s)
  local h = check.optional(site.headers, "table", "headers", {})
  s.headers = {}
  for name, value in pairs(h) do
    local f = "headers." .. tostring(name)
    if type(name) ~= "string" or not name:match("^[%w%-]+$") or #name > 64 then
      check.fail("headers", string.format("%q is not a header name (letters, digits, -)", tostring(name)))
    end
    s.headers[#s.headers + 1] = { name = name, value = check.nginx_quoted(value, f, 1024, false) }
  end
  if #s.headers > 50 then check.fail("headers", "has more than 50 entries") end
  table.sort(s.headers, function(a, b) return a.name < b.name end)
  if site.hsts ~= nil and site.hsts ~= json.null then
    local hs = check.fields(check.type(site.hsts, "table", "hsts"), { "maxAge", "includeSubdomains", "preload" }, "hsts.")
    if not s.tls.enabled then check.fail("hsts", "needs tls (browsers ignore HSTS over plain HTTP)") end
    local v = "max-age=" .. (hs.maxAge == nil and 31536000 or check.integer(hs.maxAge, "hsts.maxAge", 0, 63072000))
    if check.optional(hs.includeSubdomains, "boolean", "hsts.includeSubdomains", false) then
      v = v .. "; includeSubDomains"
    end
    if check.optional(hs.preload, "boolean", "hsts.preload", false) then
      if not v:find("includeSubDomains", 1, true) then
        check.fail("hsts.preload", "preload lists need includeSubdomains")
      end
      v = v .. "; preload"
    end
    s.hsts = '"' .. v .. '"'
  end
  if site.rateLimit ~= nil and site.rateLimit ~= json.null then
    local rl = check.fields(check.type(site.rateLimit, "table", "rateLimit"), { "rate", "burst", "nodelay" }, "rateLimit.")
    local rate = check.type(rl.rate, "string", "rateLimit.rate")
    if not rate:match("^[1-9]%d?%d?%d?%d?%d?r/[sm]$") then
      check.fail("rateLimit.rate", "must look like 10r/s or 600r/m")
    end
    s.rateLimit = {
      zone = "pagoda_" .. s.ident, rate = rate,
      burst = rl.burst == nil and 0 or check.integer(rl.burst, "rateLimit.burst", 0, 100000),
      nodelay = check.optional(rl.nodelay, "boolean", "rateLimit.nodelay", false),
    }
  end
  s.rewrites = {}
  for i, r in ipairs(check.list(check.optional(site.rewrites, "table", "rewrites", {}), "rewrites", 50)) do
    local f = "rewrites[" .. i .. "]"
    check.fields(check.type(r, "table", f), { "match", "replace", "flag" }, f .. ".")
    s.rewrites[i] = {
      match = check.nginx_quoted(r.match, f .. ".match", 512, true),
      replace = check.nginx_quoted(r.replace, f .. ".replace", 1024, true),
      flag = check.oneof(r.flag or "permanent", f .. ".flag", { "last", "break", "redirect", "permanent" }),
    }
  end
  local pt = check.fields(check.optional(site.proxyTimeouts, "table", "proxyTimeouts", {}),
    { "connect", "read", "send" }, "proxyTimeouts.")
  s.timeouts = { connect = seconds(pt, "connect", 5), read = seconds(pt, "read", 60), send = seconds(pt, "send", 60) }
  s.balancing = check.oneof(site.balancing or "round_robin", "balancing", { "round_robin", "least_conn", "ip_hash" })
end

local function validate(site)
  check.type(site, "table", "site")
  check.fields(site, { "name", "domains", "listen", "tls", "locations", "upstreams", "acme", "clientMaxBodySize",
    "releaseDir", "hsts", "headers", "rateLimit", "rewrites", "proxyTimeouts", "balancing" }, "")
  local s = {}
  s.name = check.name(site.name, "name")
  s.ident = s.name:gsub("[%.%-]", "_")
  s.domains = {}
  check.list(site.domains, "domains", 100)
  if #site.domains == 0 then check.fail("domains", "list at least one domain") end
  for i, d in ipairs(site.domains) do
    s.domains[i] = check.domain(d, "domains[" .. i .. "]")
  end
  local listen = check.fields(check.optional(site.listen, "table", "listen", {}), { "http", "https" }, "listen.")
  s.listen = {
    http = listen.http and check.port(listen.http, "listen.http") or 80,
    https = listen.https and check.port(listen.https, "listen.https") or 443,
  }
  local tls = check.fields(check.optional(site.tls, "table", "tls", {}),
    { "enabled", "certPath", "keyPath", "redirect" }, "tls.")
  s.tls = { enabled = check.optional(tls.enabled, "boolean", "tls.enabled", false) }
  if s.tls.enabled then
    s.tls.certPath = check.path(tls.certPath, "tls.certPath")
    s.tls.keyPath = check.path(tls.keyPath, "tls.keyPath")
    s.tls.redirect = check.optional(tls.redirect, "boolean", "tls.redirect", true)
  end
  validate_options(site, s)
  local release_dir = site.releaseDir ~= nil and site.releaseDir ~= json.null
      and check.path(site.releaseDir, "releaseDir") or nil
  s.upstreams, s.byname = {}, {}
  for i, u in ipairs(check.list(check.optional(site.upstreams, "table", "upstreams", {}), "upstreams", 100)) do
    local f = "upstreams[" .. i .. "]"
    check.fields(check.type(u, "table", f), { "name", "status", "servers" }, f .. ".")
    local up = {
      name = check.identifier(u.name, f .. ".name"),
      status = check.oneof(u.status or "ok", f .. ".status", { "ok", "degraded", "unavailable" }),
      servers = {},
    }
    if s.byname[up.name] then check.fail(f .. ".name", "is used twice") end
    for j, sv in ipairs(check.list(check.optional(u.servers, "table", f .. ".servers", {}), f .. ".servers", 10000)) do
      -- thousands of servers: names are built only for one that is wrong
      local family = server_ok(sv)
      if not family then
        local g = f .. ".servers[" .. j .. "]"
        check.type(sv, "table", g)
        check.ip(sv.address, g .. ".address")
        check.port(sv.port, g .. ".port")
        if sv.weight ~= nil then check.integer(sv.weight, g .. ".weight", 1, 1000) end
        check.optional(sv.backup, "boolean", g .. ".backup", false)
        family = ip_family(sv.address)
      end
      local addr = sv.address
      up.servers[j] = {
        hostport = (family == 6 and "[" .. addr .. "]" or addr) .. ":" .. sv.port,
        weight = sv.weight or 1,
        backup = sv.backup == true,
      }
    end
    if s.balancing == "ip_hash" then
      -- ip_hash takes no backup servers: keep the primaries (or, when all
      -- are backups, use them as primaries rather than have nothing)
      local primaries = {}
      for _, sv in ipairs(up.servers) do
        if not sv.backup then primaries[#primaries + 1] = sv end
      end
      if #primaries == 0 then
        for j, sv in ipairs(up.servers) do primaries[j] = { hostport = sv.hostport, weight = sv.weight } end
      end
      up.servers = primaries
    end
    if up.status ~= "unavailable" and #up.servers == 0 then
      check.fail(f .. ".servers", "an upstream that is not unavailable needs at least one server")
    end
    s.upstreams[i], s.byname[up.name] = up, up
  end
  s.locations = {}
  check.list(site.locations, "locations", 100)
  if #site.locations == 0 then check.fail("locations", "list at least one location") end
  local seen = {}
  for i, l in ipairs(site.locations) do
    local f = "locations[" .. i .. "]"
    check.fields(check.type(l, "table", f), { "path", "upstream", "static" }, f .. ".")
    local path = check.url_path(l.path, f .. ".path")
    if seen[path] then check.fail(f .. ".path", "is used twice") end
    seen[path] = true
    local loc
    if l.static ~= nil then
      if l.upstream ~= nil then check.fail(f, "give upstream or static, not both") end
      loc = static_location(l.static, path, f .. ".static", release_dir)
      loc.static = true
    else
      local up = s.byname[check.identifier(l.upstream, f .. ".upstream")]
      if not up then check.fail(f .. ".upstream", "names no upstream of this site") end
      loc = { upstream = up.name, unavailable = up.status == "unavailable" }
    end
    loc.path = path
    s.locations[i] = loc
  end
  if site.acme ~= nil and site.acme ~= json.null then
    check.fields(check.type(site.acme, "table", "acme"), { "mode", "proxyPass", "root" }, "acme.")
    local mode = check.oneof(site.acme.mode, "acme.mode", { "proxy", "root" })
    s.acme = { mode = mode }
    if mode == "proxy" then
      local url = check.type(site.acme.proxyPass, "string", "acme.proxyPass")
      -- pagodad answers challenges on its API port, HTTPS when it serves TLS
      local host, port = url:match("^https?://([%d%.]+):(%d+)$")
      if not host or not check.ipv4(host) or #port > 5 or tonumber(port) < 1 or tonumber(port) > 65535 then
        check.fail("acme.proxyPass", "must be http://IPv4:port or https://IPv4:port")
      end
      s.acme.proxyPass = url
    else
      s.acme.root = check.path(site.acme.root, "acme.root")
    end
  end
  local size = check.optional(site.clientMaxBodySize, "string", "clientMaxBodySize", "10m")
  if not size:match("^[1-9]%d?%d?%d?%d?%d?[kmg]?$") and size ~= "0" then
    check.fail("clientMaxBodySize", "must look like 10m (1 to 6 digits, k, m or g; 0 for no limit)")
  end
  s.clientMaxBodySize = size
  return s
end
M.validate = validate

function M.render(site)
  local s = validate(site)
  return template.render(resource("templates/nginx_site.tpl"), { site = s }, check.nginx_value,
    "nginx_site.tpl")
end

function M.selftest()
  local out = M.render({
    name = "selftest", domains = { "a.test" },
    locations = { { path = "/", upstream = "u" } },
    upstreams = { { name = "u", servers = { { address = "127.0.0.1", port = 9 } } } },
  })
  assert(out:find("server 127.0.0.1:9 weight=1;", 1, true), "selftest: upstream server missing")
end

return M
