-- Alerts to a Slack incoming webhook.
-- config: {webhookUrl = "https://hooks.slack.com/services/T000/B000/XXXX", prefix?, link?, timeout?}
-- The URL is the credential (masked in answers, never in errors). Slack
-- takes {"text": ...} and answers 200 "ok".
local chat = require("chat")
local M = { name = "slack", version = "1.0.0", kind = "notify" }

function M.send(config, payload)
  chat.need("slack", config, "webhookUrl")
  return chat.post("slack", config.webhookUrl, { text = chat.text(config, payload) },
    { timeout = config.timeout, secrets = { config.webhookUrl } })
end

return M
