-- DNS-01 through Alibaba Cloud DNS (Alidns, API version 2015-01-09) with a
-- RAM user's AccessKey (AliyunDNSFullAccess or a policy on the domain).
-- config: {accessKeyId, accessKeySecret, ttl?, endpoint?}
-- Requests are signed with the RPC signature 1.0 (lib/cloudsign.lua).
local api = require("dnsapi")
local sign = require("cloudsign")
local M = { name = "alidns", version = "1.0.0", kind = "dns", uses_zone = true }
local WHO = "alidns"

function M.check(config) return api.check(WHO, config, { "accessKeyId", "accessKeySecret" }) end

local function nonce()
  return string.format("%08x-%04x-%04x-%04x-%06x%06x", math.random(0, 0xFFFFFFFF), math.random(0, 0xFFFF),
    math.random(0, 0xFFFF), math.random(0, 0xFFFF), math.random(0, 0xFFFFFF), math.random(0, 0xFFFFFF))
end

local function call(config, action, params)
  params.Action, params.Format, params.Version = action, "JSON", "2015-01-09"
  params.AccessKeyId, params.SignatureMethod, params.SignatureVersion = config.accessKeyId, "HMAC-SHA1", "1.0"
  params.SignatureNonce, params.Timestamp = nonce(), os.date("!%Y-%m-%dT%H:%M:%SZ")
  params.Signature = sign.aliyun_rpc("GET", params, config.accessKeySecret)
  local secrets = { config.accessKeySecret }
  local status, raw, answer = api.call(WHO, {
    method = "GET", url = api.endpoint(config, "https://alidns.aliyuncs.com") .. "/?" .. sign.query_string(params),
  }, { secrets = secrets, timeout = config.timeout })
  if status ~= 200 or type(answer) ~= "table" or answer.Code then
    local msg = type(answer) == "table" and answer.Code and (answer.Code .. ": " .. tostring(answer.Message)) or raw
    api.refused(WHO, action, status, msg, secrets)
  end
  return answer
end

function M.present(config, zone, name, value)
  local r = call(config, "AddDomainRecord", { DomainName = api.bare(zone), RR = api.relative(name, zone),
    Type = "TXT", Value = value, TTL = tostring(config.ttl or 600) })
  return { ok = true, id = r.RecordId }
end

function M.cleanup(config, zone, name, value)
  local rr = api.relative(name, zone)
  local found = call(config, "DescribeDomainRecords", { DomainName = api.bare(zone), RRKeyWord = rr,
    TypeKeyWord = "TXT", ValueKeyWord = value, PageSize = "100" })
  local recs = found.DomainRecords and found.DomainRecords.Record or {}
  for _, rec in ipairs(recs) do
    if rec.RR == rr and rec.Type == "TXT" and rec.Value == value then
      call(config, "DeleteDomainRecord", { RecordId = tostring(rec.RecordId) })
    end
  end
  return { ok = true }
end

return M
