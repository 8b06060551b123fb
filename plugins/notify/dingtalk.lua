-- Alerts to a DingTalk group robot.
-- config: {accessToken = "...", secret = "SEC..." (the robot's signing secret),
--          apiUrl = "https://oapi.dingtalk.com/robot/send", prefix?, link?, timeout?}
-- With a secret, DingTalk's signature: timestamp (Unix ms) and
--   sign = urlencode(base64(HMAC-SHA256(secret, timestamp .. "\n" .. secret)))
-- as &timestamp=...&sign=... after access_token; the robot answers
-- {"errcode": 0, "errmsg": "ok"}.
local chat = require("chat")
local M = { name = "dingtalk", version = "1.0.0", kind = "notify" }

function M.sign(secret, ts)
  return chat.urlencode(pagoda.base64_encode(pagoda.hmac_sha256(secret, ts .. "\n" .. secret, "raw")))
end

function M.send(config, payload)
  chat.need("dingtalk", config, "accessToken")
  local url = (config.apiUrl or "https://oapi.dingtalk.com/robot/send") .. "?access_token=" ..
    chat.urlencode(config.accessToken)
  if config.secret then
    local ts = tostring(pagoda.now_ms())
    url = url .. "&timestamp=" .. ts .. "&sign=" .. M.sign(config.secret, ts)
  end
  return chat.post("dingtalk", url, { msgtype = "text", text = { content = chat.text(config, payload) } },
    { timeout = config.timeout, secrets = { config.accessToken, chat.urlencode(config.accessToken) },
      ok = function(a) return a and a.errcode == 0 end })
end

return M
