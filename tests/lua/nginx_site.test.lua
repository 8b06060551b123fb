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
      { { headers = { ["X-A"] = 'x" always; return 200 "' } }, "headers%.X%-A" },
      { { headers = { ["X-A"] = "a\nb" } }, "headers%.X%-A" },
      { { headers = { ["X-A"] = "$host" } }, "headers%.X%-A" },
      { { headers = { ["X A"] = "v" } }, "^headers" },
      { { headers = { ["X-A"] = "a\\" } }, "headers%.X%-A" },
      { { hsts = { maxAge = 10 } }, "^hsts" },
      { { tls = { enabled = true, certPath = "/a/c", keyPath = "/a/k" }, hsts = { maxAge = "1; x" } }, "hsts%.maxAge" },
      { { tls = { enabled = true, certPath = "/a/c", keyPath = "/a/k" }, hsts = { preload = true } }, "hsts%.preload" },
      { { rateLimit = { rate = "10r/s;" } }, "rateLimit%.rate" },
      { { rateLimit = { rate = "10r/s", burst = -1 } }, "rateLimit%.burst" },
      { { rewrites = { { match = "^/a", replace = '/b" last; return 200 "' } } }, "rewrites%[1%]%.replace" },
      { { rewrites = { { match = "^/a\n", replace = "/b" } } }, "rewrites%[1%]%.match" },
      { { rewrites = { { match = "^/a", replace = "/b", flag = "last;" } } }, "rewrites%[1%]%.flag" },
      { { proxyTimeouts = { read = 0 } }, "proxyTimeouts%.read" },
      { { proxyTimeouts = { idle = 3 } }, "proxyTimeouts%.idle" },
      { { balancing = "random" }, "^balancing" },
      { { locations = { { path = "/", static = { root = "dist" } } } }, "locations%[1%]%.static" },
      { { releaseDir = "/r", locations = { { path = "/", static = { root = "../etc" } } } }, "locations%[1%]%.static%.root" },
      { { releaseDir = "/r", locations = { { path = "/", static = { root = "/etc" } } } }, "locations%[1%]%.static%.root" },
      { { releaseDir = "/r", locations = { { path = "/a", static = {} } } }, "locations%[1%]%.static" },
      { { releaseDir = "/r", locations = { { path = "/", static = { index = { "a;b" } } } } }, "locations%[1%]%.static%.index%[1%]" },
      { { releaseDir = "/r", locations = { { path = "/", upstream = "web", static = {} } } }, "locations%[1%]" },
    }
    for i, c in ipairs(cases) do
      local e = T.err(function() nginx.render(site(c[1])) end, c[2], "case " .. i)
      T.ok(type(e) == "table" and e.field, "case " .. i .. " carries a field")
    end
  end,
  ["static site with an SPA fallback and an alias below it"] = function()
    local out = nginx.render(site({ releaseDir = "/var/lib/pagoda/apps/shop/current",
      locations = { { path = "/", static = { root = "dist", spa = true } },
        { path = "/docs/", static = { root = "docs", index = { "start.html", "index.html" } } },
        { path = "/api/", upstream = "web" } } }))
    T.contains(out, "location / {\n        root /var/lib/pagoda/apps/shop/current/dist;\n        index index.html;\n        try_files $uri $uri/ /index.html;")
    T.contains(out, "location /docs/ {\n        alias /var/lib/pagoda/apps/shop/current/docs/;\n        index start.html index.html;\n        try_files $uri $uri/ =404;")
    T.contains(out, "location /api/ {\n        proxy_pass http://web;")
  end,
  ["hsts, headers, rate limit, rewrites and timeouts"] = function()
    local out = nginx.render(site({ tls = { enabled = true, certPath = "/a/c", keyPath = "/a/k" },
      hsts = { maxAge = 600, includeSubdomains = true },
      headers = { ["X-Frame-Options"] = "DENY", ["Content-Security-Policy"] = "default-src 'self'" },
      rateLimit = { rate = "5r/s", burst = 2, nodelay = true },
      rewrites = { { match = "^/old/(.*)$", replace = "/new/$1" }, { match = "^/x\\.php$", replace = "/x", flag = "last" } },
      proxyTimeouts = { read = 2 } }))
    T.contains(out, "limit_req_zone $binary_remote_addr zone=pagoda_shop:10m rate=5r/s;")
    T.contains(out, "    limit_req zone=pagoda_shop burst=2 nodelay;\n    limit_req_status 429;")
    T.contains(out, 'add_header Content-Security-Policy "default-src \'self\'" always;\n    add_header X-Frame-Options "DENY" always;')
    T.contains(out, 'add_header Strict-Transport-Security "max-age=600; includeSubDomains" always;')
    T.contains(out, 'rewrite "^/old/(.*)$" "/new/$1" permanent;')
    T.contains(out, 'rewrite "^/x\\.php$" "/x" last;')
    T.contains(out, "proxy_read_timeout 2s;\n        proxy_send_timeout 60s;")
    T.contains(out, "proxy_connect_timeout 5s;")
    local _, n = out:gsub("Strict%-Transport%-Security", "")
    T.eq(n, 1, "HSTS only on the TLS server")
    local _, r = out:gsub("rewrite ", "")
    T.eq(r, 2, "rewrites only where content is served (not in the redirecting server)")
  end,
  ["balancing methods; ip_hash drops backups"] = function()
    local ups = { { name = "web", servers = { { address = "10.0.0.1", port = 1 }, { address = "10.0.0.2", port = 1, backup = true } } } }
    local out = nginx.render(site({ upstreams = ups }))
    T.ok(not out:find("least_conn") and not out:find("ip_hash"), "round robin is nginx's default")
    T.contains(out, "server 10.0.0.2:1 weight=1 backup;")
    out = nginx.render(site({ upstreams = ups, balancing = "least_conn" }))
    T.contains(out, "upstream web {\n    least_conn;\n    server 10.0.0.1:1")
    out = nginx.render(site({ upstreams = ups, balancing = "ip_hash" }))
    T.contains(out, "upstream web {\n    ip_hash;\n    server 10.0.0.1:1 weight=1;\n    keepalive 16;")
    out = nginx.render(site({ balancing = "ip_hash", upstreams = { { name = "web", servers = { { address = "10.0.0.2", port = 1, backup = true } } } } }))
    T.contains(out, "server 10.0.0.2:1 weight=1;")
  end,
}
