-- lib/dns.lua: wire form, parsing with compression, TXT splitting, TSIG.
local dns = require("dns")
local rfc2136 = module("plugins/dns/rfc2136.lua")

return {
  ["names in wire form, canonical for TSIG"] = function()
    T.eq(dns.name_wire("Example.COM"), "\7Example\3COM\0")
    T.eq(dns.name_wire("example.com.", true), "\7example\3com\0")
    T.eq(dns.name_wire("."), "\0")
    T.err(function() dns.name_wire("a..b") end, "bad label")
    T.err(function() dns.name_wire(string.rep("a", 64) .. ".com") end, "bad label")
  end,
  ["TXT values over 255 bytes are split into character-strings"] = function()
    local v = string.rep("x", 300)
    local rd = dns.txt_rdata(v)
    T.eq(#rd, 302)
    T.eq(rd:byte(1), 255)
    T.eq(rd:byte(257), 45)
  end,
  ["an answer with compressed names parses"] = function()
    -- id 0x1234, QR|RD|RA, 1 question, 1 answer: _acme-challenge.example.com TXT "abc"
    local q = "\15_acme-challenge\7example\3com\0" .. string.pack(">I2I2", 16, 1)
    local a = "\192\12" .. string.pack(">I2I2I4I2", 16, 1, 60, 4) .. "\3abc"
    local msg = string.pack(">I2I2I2I2I2I2", 0x1234, 0x8180, 1, 1, 0, 0) .. q .. a
    local r = dns.parse(msg)
    T.eq(r.id, 0x1234)
    T.eq(r.rcode, 0)
    T.eq(r.answers[1].name, "_acme-challenge.example.com.")
    T.eq(r.answers[1].type, "TXT")
    T.eq(r.answers[1].data, "abc")
    -- a pointer loop is an error, not a hang
    local loop = string.pack(">I2I2I2I2I2I2", 1, 0x8180, 0, 1, 0, 0) .. "\192\12"
    T.err(function() dns.parse(loop) end, "compression loop")
    T.err(function() dns.parse("short") end, "shorter than a header")
  end,
  ["TSIG signs deterministically and adds one record"] = function()
    local key = { name = "k", secret = pagoda.base64_encode("0123456789abcdef") }
    local msg = string.pack(">I2I2I2I2I2I2", 7, 5 << 11, 1, 0, 0, 0)
    local a, mac1 = dns.tsig_sign(msg, key, 1700000000)
    local _, mac2 = dns.tsig_sign(msg, key, 1700000000)
    T.eq(mac1, mac2)
    T.eq(#mac1, 32)
    T.eq(select(6, string.unpack(">I2I2I2I2I2I2", a)), 1)
    local _, sha1 = dns.tsig_sign(msg, { name = "k", secret = key.secret, algorithm = "hmac-sha1" }, 1700000000)
    T.eq(#sha1, 20)
    T.err(function() dns.tsig_sign(msg, { name = "k", secret = key.secret, algorithm = "hmac-md5" }) end,
      "hmac%-sha256 or hmac%-sha1")
  end,
  ["rfc2136 checks its config before anything is stored"] = function()
    local key = { name = "k", secret = pagoda.base64_encode("0123456789abcdef") }
    T.ok(rfc2136.check({ server = "127.0.0.1:53", tsig = key }))
    T.ok(rfc2136.uses_zone)
    T.err(function() rfc2136.check({ tsig = key }) end, "config.server")
    T.err(function() rfc2136.check({ server = "127.0.0.1" }) end, "unsigned")
    T.err(function() rfc2136.check({ server = "127.0.0.1", tsig = key, extra = 1 }) end, "takes server")
  end,
  ["an unreachable server is a clear error"] = function()
    T.err(function() dns.query("127.0.0.1:1", "example.com", "SOA", { timeout = 1 }) end, "127.0.0.1:1")
    T.err(function() dns.query("not-an-ip", "example.com", "SOA") end, "server must be")
  end,
}
