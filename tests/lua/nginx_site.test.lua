local nginx = module("templates/nginx_site.lua")

local function site(over)
  local s = {
    name = "shop", domains = { "shop.test" },
    locations = { { path = "/", upstream = "web" } },
    upstreams = { { name = "web", servers = { { address = "10.0.0.2", port = 9000 }, { address = "10.0.0.1", port = 9000, weight = 3 } } } },
  }
  for k, v in pairs(over or {}) do s[k] = v end
  return s
end

return {
  ["plain http site with an upstream"] = function()
    local out = nginx.render(site())
    T.contains(out, "upstream web {\n    server 10.0.0.2:9000 weight=1;\n    server 10.0.0.1:9000 weight=3;")
    T.contains(out, "listen 80;")
    T.contains(out, "server_name shop.test;")
    T.contains(out, "proxy_pass http://web;")
    T.contains(out, "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;")
    T.contains(out, "proxy_set_header Upgrade $http_upgrade;")
    T.ok(not out:find("443"), "no TLS server without tls")
  end,
  ["tls with redirect and acme challenge proxying"] = function()
    local out = nginx.render(site({ tls = { enabled = true, certPath = "/etc/ssl/pagoda/shop.crt",
      keyPath = "/etc/ssl/pagoda/shop.key" }, acme = { mode = "proxy", proxyPass = "http://10.77.1.1:8080" } }))
    T.contains(out, "return 301 https://$host$request_uri;")
    T.contains(out, "listen 443 ssl http2;")
    T.contains(out, "ssl_certificate /etc/ssl/pagoda/shop.crt;")
    T.contains(out, "location ^~ /.well-known/acme-challenge/ {\n        proxy_pass http://10.77.1.1:8080;")
  end,
  ["tls without redirect serves both"] = function()
    local out = nginx.render(site({ tls = { enabled = true, redirect = false, certPath = "/a/c", keyPath = "/a/k" } }))
    local _, n = out:gsub("proxy_pass http://web;", "")
    T.eq(n, 2, "locations in both servers")
  end,
  ["strategy B: an unavailable upstream answers 503"] = function()
    local out = nginx.render(site({ upstreams = { { name = "web", status = "unavailable", servers = {} } } }))
    T.contains(out, "return 503;")
    T.ok(not out:find("upstream web"), "no empty upstream block")
  end,
  ["ipv6 servers are bracketed"] = function()
    local out = nginx.render(site({ upstreams = { { name = "web", servers = { { address = "fd00::1", port = 80 } } } } }))
    T.contains(out, "server [fd00::1]:80 weight=1;")
  end,
  ["the same input renders the same bytes"] = function()
    T.eq(nginx.render(site()), nginx.render(site()))
  end,
  ["injection is refused with the field named"] = function()
    local cases = {
      { { domains = { "a.test;\n}" } }, "domains%[1%]" },
      { { domains = { "a.test b.test" } }, "domains%[1%]" },
      { { domains = { 'a"b' } }, "domains%[1%]" },
      { { name = "a{b" }, "^name" },
      { { locations = { { path = "/x;return 200", upstream = "web" } } }, "locations%[1%]%.path" },
      { { locations = { { path = "/x", upstream = "nope" } } }, "locations%[1%]%.upstream" },
      { { upstreams = { { name = "web", servers = { { address = "1.2.3.4;", port = 1 } } } } }, "upstreams%[1%]%.servers%[1%]%.address" },
      { { tls = { enabled = true, certPath = "/a b", keyPath = "/k" } }, "tls.certPath" },
      { { acme = { mode = "proxy", proxyPass = "http://x;y" } }, "acme.proxyPass" },
      { { clientMaxBodySize = "10m;" }, "clientMaxBodySize" },
      { { acme = { mode = "proxy", proxyPass = "http://127.0.0.1:0" } }, "acme.proxyPass" },
      { { acme = { mode = "proxy", proxyPass = "http://127.0.0.1:000080" } }, "acme.proxyPass" },
      { { clientMaxBodySize = string.rep("9", 400) }, "clientMaxBodySize" },
      { { clientMaxBodySize = "0010m" }, "clientMaxBodySize" },
    }
    for i, c in ipairs(cases) do
      local e = T.err(function() nginx.render(site(c[1])) end, c[2], "case " .. i)
      T.ok(type(e) == "table" and e.field, "case " .. i .. " carries a field")
    end
  end,
}
