-- DNS-01 through Amazon Route 53 with an IAM user's access key (allowed
-- route53:ListHostedZonesByName, ListResourceRecordSets and
-- ChangeResourceRecordSets). config:
--   {accessKeyId, secretAccessKey, sessionToken?, hostedZoneId?, ttl?, endpoint?}
-- Requests are signed with Signature Version 4 (lib/cloudsign.lua). A name
-- holds one TXT record set, so a value is merged into the set (a wildcard
-- and its apex share _acme-challenge) and taken out of it again.
local api = require("dnsapi")
local sign = require("cloudsign")
local M = { name = "route53", version = "1.0.0", kind = "dns", uses_zone = true }
local WHO = "route53"
local API = "/2013-04-01"

function M.check(config)
  return api.check(WHO, config, { "accessKeyId", "secretAccessKey" }, { "sessionToken", "hostedZoneId" })
end

local function xml_escape(s)
  return (s:gsub("[&<>\"]", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }))
end

local function xml_unescape(s)
  return (s:gsub("&(%a+);", { amp = "&", lt = "<", gt = ">", quot = '"', apos = "'" }))
end

local function call(config, method, path, query, body)
  local base = api.endpoint(config, "https://route53.amazonaws.com")
  local prefix = base:match("^https?://[^/]+(.*)$")
  local headers = { Host = base:match("^https?://([^/]+)") }
  if body then headers["Content-Type"] = "text/xml" end
  if config.sessionToken then headers["X-Amz-Security-Token"] = config.sessionToken end
  local auth = sign.sigv4({ method = method, path = prefix .. path, query = query, headers = headers, body = body or "",
    region = "us-east-1", service = "route53", access_key = config.accessKeyId, secret_key = config.secretAccessKey })
  headers.Authorization, headers.Host = auth, nil
  local qs = sign.query_string(query)
  local secrets = { config.secretAccessKey, config.sessionToken }
  local status, raw = api.call(WHO, { method = method, url = base .. path .. (qs ~= "" and "?" .. qs or ""),
    headers = headers, body = body }, { secrets = secrets, timeout = config.timeout })
  if status < 200 or status > 299 then
    local code, msg = raw:match("<Code>(.-)</Code>"), raw:match("<Message>(.-)</Message>")
    api.refused(WHO, method .. " " .. path, status, code and (code .. ": " .. xml_unescape(msg or "")) or raw, secrets)
  end
  return raw
end

local function zone_id(config, zone)
  if config.hostedZoneId then return (config.hostedZoneId:gsub("^/hostedzone/", "")) end
  local raw = call(config, "GET", API .. "/hostedzonesbyname", { dnsname = api.bare(zone), maxitems = "1" })
  for hz in raw:gmatch("<HostedZone>(.-)</HostedZone>") do
    local id, name = hz:match("<Id>(.-)</Id>"), hz:match("<Name>(.-)</Name>")
    if name and api.bare(name):lower() == api.bare(zone):lower() then return (id:gsub("^/hostedzone/", "")) end
  end
  error(string.format("dns/route53: no hosted zone %s for this key", zone), 0)
end

-- The TXT values (unquoted) and TTL of name's record set, if there is one.
local function current(config, id, name)
  local raw = call(config, "GET", API .. "/hostedzone/" .. id .. "/rrset",
    { name = api.bare(name), type = "TXT", maxitems = "1" })
  for set in raw:gmatch("<ResourceRecordSet>(.-)</ResourceRecordSet>") do
    if api.bare(xml_unescape(set:match("<Name>(.-)</Name>") or "")):lower() == api.bare(name):lower()
        and set:match("<Type>(.-)</Type>") == "TXT" then
      local values = {}
      for v in set:gmatch("<Value>(.-)</Value>") do values[#values + 1] = xml_unescape(v):match('^"(.*)"$') or v end
      return values, tonumber(set:match("<TTL>(%d+)</TTL>"))
    end
  end
  return {}, nil
end

local function change(config, id, action, name, values, ttl)
  local rrs = {}
  for _, v in ipairs(values) do
    rrs[#rrs + 1] = "<ResourceRecord><Value>" .. xml_escape('"' .. v .. '"') .. "</Value></ResourceRecord>"
  end
  local body = '<?xml version="1.0" encoding="UTF-8"?>\n'
      .. '<ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
      .. "<ChangeBatch><Comment>pagoda dns-01</Comment><Changes><Change><Action>" .. action .. "</Action>"
      .. "<ResourceRecordSet><Name>" .. xml_escape(api.bare(name)) .. ".</Name><Type>TXT</Type><TTL>" .. ttl
      .. "</TTL><ResourceRecords>" .. table.concat(rrs) .. "</ResourceRecords></ResourceRecordSet>"
      .. "</Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"
  call(config, "POST", API .. "/hostedzone/" .. id .. "/rrset", nil, body)
end

function M.present(config, zone, name, value)
  local id = zone_id(config, zone)
  local values, ttl = current(config, id, name)
  for _, v in ipairs(values) do
    if v == value then return { ok = true } end
  end
  values[#values + 1] = value
  change(config, id, "UPSERT", name, values, ttl or config.ttl or 60)
  return { ok = true }
end

function M.cleanup(config, zone, name, value)
  local id = zone_id(config, zone)
  local values, ttl = current(config, id, name)
  local keep = {}
  for _, v in ipairs(values) do
    if v ~= value then keep[#keep + 1] = v end
  end
  if #keep == #values then return { ok = true } end
  if #keep == 0 then
    change(config, id, "DELETE", name, values, ttl) -- a DELETE names the set exactly as it is
  else
    change(config, id, "UPSERT", name, keep, ttl)
  end
  return { ok = true }
end

return M
