-- DNS-01 through Tencent Cloud DNSPod (API 3.0, version 2021-03-23) with a
-- CAM sub-user's SecretId/SecretKey (QcloudDNSPodFullAccess or narrower).
-- config: {secretId, secretKey, ttl?, endpoint?}
-- Requests are signed with TC3-HMAC-SHA256 (lib/cloudsign.lua).
local api = require("dnsapi")
local sign = require("cloudsign")
local M = { name = "dnspod", version = "1.0.0", kind = "dns", uses_zone = true }
local WHO = "dnspod"

function M.check(config) return api.check(WHO, config, { "secretId", "secretKey" }) end

local function call(config, action, params)
  local base = api.endpoint(config, "https://dnspod.tencentcloudapi.com")
  local host = base:match("^https?://([^/]+)")
  local payload, now = json.encode(params), os.time()
  local auth = sign.tc3({ host = host, service = "dnspod", action = action, payload = payload, timestamp = now,
    secret_id = config.secretId, secret_key = config.secretKey })
  local secrets = { config.secretKey }
  local status, raw, answer = api.call(WHO, {
    method = "POST", url = base .. "/", body = payload,
    headers = { Authorization = auth, ["Content-Type"] = "application/json; charset=utf-8",
      ["X-TC-Action"] = action, ["X-TC-Version"] = "2021-03-23", ["X-TC-Timestamp"] = tostring(now) },
  }, { secrets = secrets, timeout = config.timeout })
  local resp = type(answer) == "table" and answer.Response
  if status ~= 200 or type(resp) ~= "table" or resp.Error then
    local e = type(resp) == "table" and resp.Error
    api.refused(WHO, action, status, e and (tostring(e.Code) .. ": " .. tostring(e.Message)) or raw, secrets)
  end
  return resp
end

function M.present(config, zone, name, value)
  local r = call(config, "CreateRecord", { Domain = api.bare(zone), SubDomain = api.relative(name, zone),
    RecordType = "TXT", RecordLine = "默认", Value = value, TTL = config.ttl or 600 })
  return { ok = true, id = r.RecordId }
end

function M.cleanup(config, zone, name, value)
  local found = call(config, "DescribeRecordList", { Domain = api.bare(zone),
    Subdomain = api.relative(name, zone), RecordType = "TXT" })
  for _, rec in ipairs(found.RecordList or {}) do
    if rec.Value == value then
      call(config, "DeleteRecord", { Domain = api.bare(zone), RecordId = rec.RecordId })
    end
  end
  return { ok = true }
end

return M
