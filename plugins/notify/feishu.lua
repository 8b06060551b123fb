-- Alerts to a Feishu (Lark) custom bot.
-- config: {webhookUrl = "https://open.feishu.cn/open-apis/bot/v2/hook/...",
--          secret = "..." (its signature verification), prefix?, link?, timeout?}
-- With a secret, Feishu's signature: timestamp (Unix seconds) and
--   sign = base64(HMAC-SHA256(key = timestamp .. "\n" .. secret, message = ""))
-- in the body; the bot answers {"code": 0, ...} (older ones {"StatusCode": 0}).
local chat = require("chat")
local M = { name = "feishu", version = "1.0.0", kind = "notify" }

function M.sign(secret, ts)
  return pagoda.base64_encode(pagoda.hmac_sha256(ts .. "\n" .. secret, "", "raw"))
end

function M.send(config, payload)
  chat.need("feishu", config, "webhookUrl")
  local body = { msg_type = "text", content = { text = chat.text(config, payload) } }
  if config.secret then
    body.timestamp = tostring(pagoda.now_ms() // 1000)
    body.sign = M.sign(config.secret, body.timestamp)
  end
  return chat.post("feishu", config.webhookUrl, body, { timeout = config.timeout,
    secrets = { config.webhookUrl }, ok = function(a) return a and (a.code == 0 or a.StatusCode == 0) end })
end

return M
