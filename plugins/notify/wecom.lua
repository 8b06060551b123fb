-- Alerts to a WeCom (WeChat Work) group robot.
-- config: {key = "...", apiUrl = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send",
--          prefix?, link?, timeout?}
-- The key (in the URL) is the credential; the robot answers {"errcode": 0, "errmsg": "ok"}.
local chat = require("chat")
local M = { name = "wecom", version = "1.0.0", kind = "notify" }

function M.send(config, payload)
  chat.need("wecom", config, "key")
  local url = (config.apiUrl or "https://qyapi.weixin.qq.com/cgi-bin/webhook/send") .. "?key=" ..
    chat.urlencode(config.key)
  return chat.post("wecom", url, { msgtype = "text", text = { content = chat.text(config, payload) } },
    { timeout = config.timeout, secrets = { config.key, chat.urlencode(config.key) },
      ok = function(a) return a and a.errcode == 0 end })
end

return M
