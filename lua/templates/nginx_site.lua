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

local function validate(site)
  check.type(site, "table", "site")
  check.fields(site, { "name", "domains", "listen", "tls", "locations", "upstreams", "acme", "clientMaxBodySize" }, "")
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
    check.fields(check.type(l, "table", f), { "path", "upstream" }, f .. ".")
    local loc = { path = check.url_path(l.path, f .. ".path") }
    if seen[loc.path] then check.fail(f .. ".path", "is used twice") end
    seen[loc.path] = true
    local up = s.byname[check.identifier(l.upstream, f .. ".upstream")]
    if not up then check.fail(f .. ".upstream", "names no upstream of this site") end
    loc.upstream, loc.unavailable = up.name, up.status == "unavailable"
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
