local exec = module("plugins/dns/exec.lua")
local webhook = module("plugins/notify/webhook.lua")
local challtestsrv = module("plugins/dns/challtestsrv.lua")
local dingtalk = module("plugins/notify/dingtalk.lua")
local feishu = module("plugins/notify/feishu.lua")
local telegram = module("plugins/notify/telegram.lua")

return {
  ["plugins carry name, version and kind"] = function()
    T.eq({ exec.name, exec.kind }, { "exec", "dns" })
    T.eq({ webhook.name, webhook.kind }, { "webhook", "notify" })
    T.eq(challtestsrv.kind, "dns")
    T.ok(exec.version:match("^%d+%.%d+%.%d+$"), "semver")
  end,
  ["dns/exec runs the operator's program with argv, never the request's"] = function()
    local real = pagoda.settings
    local settings = {}
    pagoda.settings = function() return settings end
    local ok, e = pcall(function()
      -- no settings: nothing runs, whatever the request says
      T.err(function() exec.present({ command = { "/usr/bin/touch", "/tmp/x" } }, "z", "n", "v") end,
        "plugin%-settings")
      T.err(function() exec.check({}) end, "plugin%-settings")
      settings = { command = { "/usr/bin/printf", "%s|%s|%s" } }
      local r = exec.present({ command = { "/bin/false" } }, "example.com",
        "_acme-challenge.example.com", "token;$(rm -rf /)")
      T.eq(r.stdout, "present|_acme-challenge.example.com|token;$(rm -rf /)")
      T.ok(exec.check({}), "no request config is fine")
      T.err(function() exec.check({ command = { "/bin/sh", "-c", "id" } }) end, "takes no request config")
      settings = { command = { "/bin/false" } }
      T.err(function() exec.cleanup({}, "z", "n", "v") end, "exited 1")
      settings = { command = { "sh" } }
      T.err(function() exec.present({}, "z", "n", "v") end, "absolute path")
    end)
    pagoda.settings = real
    assert(ok, e)
  end,
  ["webhook reports an unreachable receiver"] = function()
    T.err(function() webhook.send({ url = "http://127.0.0.1:1/hook", timeout = 2 }, { kind = "test" }) end,
      "notify/webhook")
    T.err(function() webhook.send({}, {}) end, "config.url")
  end,
  ["chat signatures as DingTalk and Feishu compute them (vectors from Python's hmac)"] = function()
    T.eq(dingtalk.sign("SECabc123", "1700000000000"), "N5P09a4%2Bp1AMJIJWnIvQd2Yxw9%2Bfu%2FoEBnPrjCcsLXk%3D")
    T.eq(feishu.sign("SECabc123", "1700000000"), "UqhI0v4zAkSwI4hNYBuHQvnrAqshA0UaeBGHCUMPX70=")
  end,
  ["chat notifiers never put a credential in an error"] = function()
    local ok, e = pcall(telegram.send, { botToken = "123:SECRETTOKEN", chatId = "1",
      apiUrl = "http://127.0.0.1:1", timeout = 2 }, { event = "firing", alert = {} })
    T.ok(not ok and e:find("notify/telegram") and not e:find("SECRETTOKEN"), e)
    ok, e = pcall(dingtalk.send, { accessToken = "TOKEN/+x", apiUrl = "http://127.0.0.1:1", timeout = 2 },
      { event = "firing", alert = {} })
    T.ok(not ok and not e:find("TOKEN") and e:find("%*%*%*%*%*%*"), e)
    T.err(function() telegram.send({ botToken = "x" }, {}) end, "config.chatId is required")
  end,
  ["the helpers plugins rely on"] = function()
    T.eq(pagoda.sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    T.eq(pagoda.hmac_sha256("key", "The quick brown fox jumps over the lazy dog"),
      "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
    T.eq(pagoda.base64_encode("hello?"), "aGVsbG8/")
    T.eq(pagoda.base64_decode("aGVsbG8/"), "hello?")
    T.eq(pagoda.base64_decode("aGVsbG8_", "url"), "hello?")
    T.eq(json.decode(json.encode({ a = { 1, 2 } })).a[2], 2)
  end,
}
