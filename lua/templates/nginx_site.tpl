# Managed by Pagoda: site {{ site.name }}. Edits here are overwritten.
map $http_upgrade $pagoda_{{ site.ident }}_connection {
    default upgrade;
    ''      '';
}
{% if site.rateLimit then %}
limit_req_zone $binary_remote_addr zone={{ site.rateLimit.zone }}:10m rate={{ site.rateLimit.rate }};
{% end %}
{% for _, u in ipairs(site.upstreams) do %}
{% if u.status ~= "unavailable" then %}

upstream {{ u.name }} {
{% if site.balancing ~= "round_robin" then %}
    {{ site.balancing }};
{% end %}
{# hostport and weight are built from a checked address and integers (nginx_site.lua): no escaper per server #}
{% for _, sv in ipairs(u.servers) do %}
    server {{! sv.hostport }} weight={{! sv.weight }}{% if sv.backup then %} backup{% end %};
{% end %}
    keepalive 16;
}
{% end %}
{% end %}
{% local function acme() %}
{% if site.acme then %}
    location ^~ /.well-known/acme-challenge/ {
{% if site.acme.mode == "proxy" then %}
        proxy_pass {{ site.acme.proxyPass }};
        proxy_set_header Host $host;
{% else %}
        root {{ site.acme.root }};
        default_type text/plain;
        try_files $uri =404;
{% end %}
    }
{% end %}
{% end %}
{# every server: rate limit and response headers (values quoted by nginx_site.lua) #}
{% local function common() %}
    client_max_body_size {{ site.clientMaxBodySize }};
{# per-site logs: what pagoda logs APP reads for a ReverseProxy #}
    access_log /var/log/nginx/pagoda-{{ site.name }}.access.log;
    error_log /var/log/nginx/pagoda-{{ site.name }}.error.log;
{% if site.rateLimit then %}
    limit_req zone={{ site.rateLimit.zone }}{% if site.rateLimit.burst > 0 then %} burst={{ site.rateLimit.burst }}{% end %}{% if site.rateLimit.nodelay then %} nodelay{% end %};
    limit_req_status 429;
{% end %}
{% for _, h in ipairs(site.headers) do %}
    add_header {{ h.name }} {{! h.value }} always;
{% end %}
{% end %}
{% local function locations() %}
{% for _, r in ipairs(site.rewrites) do %}
    rewrite {{! r.match }} {{! r.replace }} {{ r.flag }};
{% end %}
{% acme() %}
{% for _, l in ipairs(site.locations) do %}
    location {{ l.path }} {
{% if l.static then %}
{% if l.alias then %}
        alias {{ l.dir }}/;
{% else %}
        root {{ l.dir }};
{% end %}
        index{% for _, i in ipairs(l.index) do %} {{ i }}{% end %};
        try_files $uri $uri/ {{ l.fallback }};
{% elseif l.unavailable then %}
        return 503;
{% else %}
        proxy_pass http://{{ l.upstream }};
        proxy_http_version 1.1;
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-Host $host;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $pagoda_{{ site.ident }}_connection;
        proxy_connect_timeout {{ site.timeouts.connect }}s;
        proxy_read_timeout {{ site.timeouts.read }}s;
        proxy_send_timeout {{ site.timeouts.send }}s;
        proxy_next_upstream error timeout http_502 http_503;
{% end %}
    }
{% end %}
{% end %}

server {
    listen {{ site.listen.http }};
    server_name{% for _, d in ipairs(site.domains) do %} {{ d }}{% end %};
{% common() %}
{% if site.tls.enabled and site.tls.redirect then %}
{% acme() %}
    location / {
        return 301 https://$host$request_uri;
    }
{% else %}
{% locations() %}
{% end %}
}
{% if site.tls.enabled then %}

server {
    listen {{ site.listen.https }} ssl http2;
    server_name{% for _, d in ipairs(site.domains) do %} {{ d }}{% end %};
{% common() %}
{% if site.hsts then %}
    add_header Strict-Transport-Security {{! site.hsts }} always;
{% end %}
    ssl_certificate {{ site.tls.certPath }};
    ssl_certificate_key {{ site.tls.keyPath }};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:pagoda_ssl:10m;
    ssl_session_timeout 1h;
{% locations() %}
}
{% end %}
