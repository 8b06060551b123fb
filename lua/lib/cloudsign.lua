-- Request signing for cloud DNS APIs, each as its provider documents it:
--   sigv4(req)       AWS Signature Version 4 (Route 53)
--   aliyun_rpc(...)  Alibaba Cloud RPC signature 1.0 (HMAC-SHA1)
--   tc3(req)         Tencent Cloud API 3.0 TC3-HMAC-SHA256 (DNSPod)
-- Pure functions of their inputs (time and nonce are arguments), so the
-- tests reproduce the providers' published examples byte for byte.
local M = {}

-- RFC 3986 percent-encoding: everything but A-Z a-z 0-9 - _ . ~ (and "/"
-- when keep_slash), upper-case hex.
function M.percent(s, keep_slash)
  return (tostring(s):gsub("[^%w%-_%.~/]", function(c) return string.format("%%%02X", c:byte()) end)
    :gsub("/", keep_slash and "/" or "%%2F"))
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

-- "k=v&k=v" of a table, names and values encoded, sorted by encoded name.
function M.query_string(params)
  local enc = {}
  for k, v in pairs(params or {}) do enc[M.percent(k)] = M.percent(v) end
  local out = {}
  for _, k in ipairs(sorted_keys(enc)) do out[#out + 1] = k .. "=" .. enc[k] end
  return table.concat(out, "&")
end

local function hmac(key, msg) return pagoda.hmac_sha256(key, msg, "raw") end

-- Lower-cased, trimmed headers: the canonical block and the signed list.
local function canonical_headers(headers)
  local h = {}
  for k, v in pairs(headers) do h[k:lower()] = tostring(v):gsub("^%s+", ""):gsub("%s+$", ""):gsub("%s+", " ") end
  local names, lines = sorted_keys(h), {}
  for _, k in ipairs(names) do lines[#lines + 1] = k .. ":" .. h[k] .. "\n" end
  return table.concat(lines), table.concat(names, ";")
end

-- req: {method, path, query = {k = v}, headers = {Host = ...}, body,
--       region, service, access_key, secret_key, amz_date = "YYYYMMDDTHHMMSSZ"}
-- -> the Authorization header value, the canonical request, string to sign.
-- headers must hold Host; X-Amz-Date is added to them.
function M.sigv4(req)
  local amz_date = req.amz_date or os.date("!%Y%m%dT%H%M%SZ")
  local day = amz_date:sub(1, 8)
  req.headers["X-Amz-Date"] = amz_date
  local block, signed = canonical_headers(req.headers)
  local creq = table.concat({ req.method, M.percent(req.path or "/", true), M.query_string(req.query),
    block, signed, pagoda.sha256(req.body or "") }, "\n")
  local scope = string.format("%s/%s/%s/aws4_request", day, req.region, req.service)
  local sts = table.concat({ "AWS4-HMAC-SHA256", amz_date, scope, pagoda.sha256(creq) }, "\n")
  local key = hmac(hmac(hmac(hmac("AWS4" .. req.secret_key, day), req.region), req.service), "aws4_request")
  local auth = string.format("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
    req.access_key, scope, signed, pagoda.hmac_sha256(key, sts))
  return auth, creq, sts
end

-- params: every request parameter but Signature (AccessKeyId, Timestamp,
-- SignatureNonce... included). -> base64 signature, the string to sign.
function M.aliyun_rpc(method, params, secret)
  local sts = method .. "&" .. M.percent("/") .. "&" .. M.percent(M.query_string(params))
  return pagoda.base64_encode(pagoda.hmac_sha1(secret .. "&", sts, "raw")), sts
end

-- req: {host, service, action, payload, timestamp, secret_id, secret_key,
--       content_type = "application/json; charset=utf-8",
--       sign_action = false (also sign x-tc-action, as the current docs do)}
-- -> the Authorization header value, canonical request, string to sign.
function M.tc3(req)
  local ct = req.content_type or "application/json; charset=utf-8"
  local headers = { ["content-type"] = ct, host = req.host }
  if req.sign_action then headers["x-tc-action"] = req.action:lower() end
  local block, signed = canonical_headers(headers)
  local creq = table.concat({ "POST", "/", "", block, signed, pagoda.sha256(req.payload) }, "\n")
  local day = os.date("!%Y-%m-%d", req.timestamp)
  local scope = day .. "/" .. req.service .. "/tc3_request"
  local sts = table.concat({ "TC3-HMAC-SHA256", tostring(req.timestamp), scope, pagoda.sha256(creq) }, "\n")
  local key = hmac(hmac(hmac("TC3" .. req.secret_key, day), req.service), "tc3_request")
  local auth = string.format("TC3-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
    req.secret_id, scope, signed, pagoda.hmac_sha256(key, sts))
  return auth, creq, sts
end

return M
