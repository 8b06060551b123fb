-- Alerts to a Telegram chat through a bot.
-- config: {botToken = "123456:ABC...", chatId = "-1001234567890",
--          apiUrl = "https://api.telegram.org" (or an internal relay), prefix?, link?, timeout?}
-- POST {apiUrl}/bot{botToken}/sendMessage {"chat_id", "text"}; Telegram answers {"ok": true, ...}.
local chat = require("chat")
local M = { name = "telegram", version = "1.0.0", kind = "notify" }

function M.send(config, payload)
  chat.need("telegram", config, "botToken", "chatId")
  local base = config.apiUrl or "https://api.telegram.org"
  return chat.post("telegram", base .. "/bot" .. config.botToken .. "/sendMessage",
    { chat_id = config.chatId, text = chat.text(config, payload), disable_web_page_preview = true },
    { timeout = config.timeout, secrets = { config.botToken }, ok = function(a) return a and a.ok == true end })
end

return M
