-- DNS messages for plugins (RFC 1035), dynamic updates (RFC 2136) and TSIG
-- (RFC 8945), on top of pagoda.dns_exchange, which only moves bytes.
-- M.query(server, name, type) and M.update(server, zone, changes, tsig).
local M = {}

M.type = { A = 1, NS = 2, CNAME = 5, SOA = 6, TXT = 16, AAAA = 28, TSIG = 250, ANY = 255 }
local TYPE_NAME = {}
for k, v in pairs(M.type) do TYPE_NAME[v] = k end
local CLASS_IN, CLASS_NONE, CLASS_ANY = 1, 254, 255

M.rcode = { [0] = "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN",
  "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE" }
local TSIG_ERROR = { [16] = "BADSIG", [17] = "BADKEY", [18] = "BADTIME", [22] = "BADTRUNC" }

-- The HMACs a TSIG key may use: name on the wire -> pagoda's function.
local ALGORITHMS = {
  ["hmac-sha256"] = function(k, m) return pagoda.hmac_sha256(k, m, "raw") end,
  ["hmac-sha1"] = function(k, m) return pagoda.hmac_sha1(k, m, "raw") end,
}

function M.fqdn(name)
  return name:sub(-1) == "." and name or name .. "."
end

-- A name in wire form, uncompressed; canonical (lower case) for TSIG.
function M.name_wire(name, canonical)
  name = M.fqdn(name)
  if canonical then name = name:lower() end
  if name == "." then return "\0" end
  local out = {}
  for label in name:gmatch("([^.]*)%.") do
    if #label == 0 or #label > 63 then error("dns: bad label in name " .. name, 0) end
    out[#out + 1] = string.pack("s1", label)
  end
  out[#out + 1] = "\0"
  local wire = table.concat(out)
  if #wire > 255 then error("dns: name too long: " .. name, 0) end
  return wire
end

-- TXT rdata: the value in character-strings of at most 255 bytes.
function M.txt_rdata(value)
  local parts = {}
  for i = 1, math.max(#value, 1), 255 do parts[#parts + 1] = string.pack("s1", value:sub(i, i + 254)) end
  return table.concat(parts)
end

local function rr(name, rtype, class, ttl, rdata)
  return M.name_wire(name) .. string.pack(">I2I2I4s2", rtype, class, ttl, rdata)
end

local function header(id, flags, qd, an, ns, ar)
  return string.pack(">I2I2I2I2I2I2", id, flags, qd, an, ns, ar)
end

-- Reads a possibly compressed name at pos: name, position after it.
local function read_name(msg, pos)
  local labels, after, hops = {}, nil, 0
  while true do
    local len = msg:byte(pos)
    if not len then error("dns: truncated name", 0) end
    if len >= 0xC0 then
      hops = hops + 1
      if hops > 32 then error("dns: compression loop", 0) end
      after = after or pos + 2
      pos = ((len & 0x3F) << 8 | msg:byte(pos + 1)) + 1
    elseif len == 0 then
      return (#labels == 0 and "." or table.concat(labels, ".") .. "."), after or pos + 1
    else
      labels[#labels + 1] = msg:sub(pos + 1, pos + len)
      pos = pos + 1 + len
    end
  end
end

local function read_rdata(msg, rtype, pos, len)
  if rtype == M.type.A and len == 4 then
    return string.format("%d.%d.%d.%d", msg:byte(pos, pos + 3))
  elseif rtype == M.type.AAAA and len == 16 then
    local w = { string.unpack(">I2I2I2I2I2I2I2I2", msg, pos) }
    w[9] = nil
    for i = 1, 8 do w[i] = string.format("%x", w[i]) end
    return table.concat(w, ":")
  elseif rtype == M.type.NS or rtype == M.type.CNAME then
    return (read_name(msg, pos))
  elseif rtype == M.type.SOA then
    local mname, p = read_name(msg, pos)
    return { mname = mname, rname = (read_name(msg, p)) }
  elseif rtype == M.type.TXT then
    local parts, p, stop = {}, pos, pos + len
    while p < stop do
      local s
      s, p = string.unpack("s1", msg, p)
      parts[#parts + 1] = s
    end
    return table.concat(parts)
  end
  return msg:sub(pos, pos + len - 1)
end

-- Parses a whole message: {id, flags, rcode, answers, authority, additional}
-- with each record {name, type, class, ttl, data, start, stop}.
function M.parse(msg)
  if #msg < 12 then error("dns: answer shorter than a header", 0) end
  local id, flags, qd, an, ns, ar = string.unpack(">I2I2I2I2I2I2", msg)
  local pos = 13
  for _ = 1, qd do
    local _, p = read_name(msg, pos)
    pos = p + 4
  end
  local out = { id = id, flags = flags, rcode = flags & 0xF, truncated = flags & 0x200 ~= 0,
    answers = {}, authority = {}, additional = {} }
  for _, sec in ipairs({ { "answers", an }, { "authority", ns }, { "additional", ar } }) do
    for _ = 1, sec[2] do
      local start = pos
      local name, p = read_name(msg, pos)
      local rtype, class, ttl, rdlen, rdpos = string.unpack(">I2I2I4I2", msg, p)
      if rdpos + rdlen - 1 > #msg then error("dns: truncated record", 0) end
      table.insert(out[sec[1]], { name = name, type = TYPE_NAME[rtype] or rtype, class = class, ttl = ttl,
        data = read_rdata(msg, rtype, rdpos, rdlen), rdpos = rdpos, rdlen = rdlen,
        start = start, stop = rdpos + rdlen })
      pos = rdpos + rdlen
    end
  end
  return out
end

local function exchange(server, msg, timeout)
  local ans, err = pagoda.dns_exchange(server, msg, { timeout = timeout })
  if ans and string.unpack(">I2", ans, 3) & 0x200 ~= 0 then -- truncated: again over TCP
    ans, err = pagoda.dns_exchange(server, msg, { tcp = true, timeout = timeout })
  end
  if not ans then error("dns: " .. err, 0) end
  return ans
end

-- M.query(server, name, type [, {timeout}]) -> parsed answer; the records
-- of the asked type are also in .records (name and data only).
function M.query(server, name, qtype, opts)
  local t = M.type[qtype] or error("dns: unknown type " .. tostring(qtype), 0)
  local id = math.random(0, 0xFFFF)
  local msg = header(id, 0x0100, 1, 0, 0, 0) .. M.name_wire(name) .. string.pack(">I2I2", t, CLASS_IN)
  local r = M.parse(exchange(server, msg, opts and opts.timeout))
  r.records = {}
  for _, a in ipairs(r.answers) do
    if a.type == qtype then r.records[#r.records + 1] = a.data end
  end
  return r
end

local function tsig_key(tsig)
  if type(tsig) ~= "table" or type(tsig.name) ~= "string" or type(tsig.secret) ~= "string" then
    error({ field = "tsig", message = "tsig needs name and secret (base64)" }, 0)
  end
  local alg = (tsig.algorithm or "hmac-sha256"):lower()
  local mac = ALGORITHMS[alg]
  if not mac then
    error({ field = "tsig.algorithm", message = "tsig.algorithm must be hmac-sha256 or hmac-sha1" }, 0)
  end
  local key = pagoda.base64_decode(tsig.secret)
  if not key or #key == 0 then error({ field = "tsig.secret", message = "tsig.secret is not base64" }, 0) end
  return { name = tsig.name, alg = alg, mac = mac, key = key }
end

-- The TSIG variables (RFC 8945 4.3.3) for a given time.
local function tsig_vars(k, now, fudge, err)
  return M.name_wire(k.name, true) .. string.pack(">I2I4", CLASS_ANY, 0) .. M.name_wire(k.alg, true)
      .. string.pack(">I6I2I2I2", now, fudge, err, 0)
end

-- Signs msg (its ARCOUNT not counting the TSIG): the signed message, MAC.
function M.tsig_sign(msg, tsig, now)
  local k = tsig_key(tsig)
  now = now or os.time()
  local mac = k.mac(k.key, msg .. tsig_vars(k, now, 300, 0))
  local id, flags, qd, an, ns, ar = string.unpack(">I2I2I2I2I2I2", msg)
  local rdata = M.name_wire(k.alg, true) .. string.pack(">I6I2s2I2I2I2", now, 300, mac, id, 0, 0)
  return header(id, flags, qd, an, ns, ar + 1) .. msg:sub(13)
      .. M.name_wire(k.name, true) .. string.pack(">I2I2I4s2", M.type.TSIG, CLASS_ANY, 0, rdata), mac
end

-- Checks the TSIG of an answer to a request signed with request_mac.
local function tsig_verify(ans, parsed, tsig, request_mac)
  local t = parsed.additional[#parsed.additional]
  if not t or t.type ~= "TSIG" then return nil, "the answer is not signed" end
  local k = tsig_key(tsig)
  local alg, p = read_name(ans, t.rdpos)
  local now, fudge, mac, orig_id, err, other, _ = string.unpack(">I6I2s2I2I2s2", ans, p)
  if TSIG_ERROR[err] then return nil, TSIG_ERROR[err] end
  if alg:lower() ~= M.fqdn(k.alg) then return nil, "answer signed with " .. alg end
  local id, flags, qd, an, ns, ar = string.unpack(">I2I2I2I2I2I2", ans)
  local body = header(orig_id, flags, qd, an, ns, ar - 1) .. ans:sub(13, t.start - 1)
  local vars = M.name_wire(k.name, true) .. string.pack(">I2I4", CLASS_ANY, 0) .. M.name_wire(k.alg, true)
      .. string.pack(">I6I2I2s2", now, fudge, err, other)
  if k.mac(k.key, string.pack(">s2", request_mac) .. body .. vars) ~= mac then
    return nil, "the answer's TSIG does not verify"
  end
  return true
end

-- M.update(server, zone, changes, tsig [, {timeout}]): one RFC 2136 update.
-- changes: {{op = "add", name, value, ttl?} | {op = "delete", name, value}}
-- for TXT records. Errors name the server's refusal (NOTAUTH/BADKEY...).
function M.update(server, zone, changes, tsig, opts)
  local ups = {}
  for _, c in ipairs(changes) do
    if c.op == "add" then
      ups[#ups + 1] = rr(c.name, M.type.TXT, CLASS_IN, c.ttl or 60, M.txt_rdata(c.value))
    elseif c.op == "delete" then -- this one value only (class NONE, RFC 2136 2.5.4)
      ups[#ups + 1] = rr(c.name, M.type.TXT, CLASS_NONE, 0, M.txt_rdata(c.value))
    else
      error("dns: update op must be add or delete", 0)
    end
  end
  local id = math.random(0, 0xFFFF)
  local msg = header(id, 5 << 11, 1, 0, #ups, 0) .. M.name_wire(zone) .. string.pack(">I2I2", M.type.SOA, CLASS_IN)
      .. table.concat(ups)
  local mac
  if tsig then msg, mac = M.tsig_sign(msg, tsig) end
  local ans = exchange(server, msg, opts and opts.timeout)
  local r = M.parse(ans)
  local tsig_ok, why = true, nil
  if tsig then tsig_ok, why = tsig_verify(ans, r, tsig, mac) end
  if r.rcode ~= 0 then
    local what = M.rcode[r.rcode] or tostring(r.rcode)
    if why then what = what .. " (TSIG " .. why .. ")" end
    local hint = r.rcode == 9 and why and ": check the TSIG key name, algorithm and secret"
        or r.rcode == 9 and ": the server is not authoritative for " .. zone
        or r.rcode == 5 and ": the server does not allow this key to update " .. zone
        or r.rcode == 10 and ": " .. zone .. " is not a zone of that server" or ""
    error(string.format("dns: %s refused the update of %s: %s%s", server, zone, what, hint), 0)
  end
  if not tsig_ok then error(string.format("dns: %s: %s", server, why), 0) end
  return r
end

return M
