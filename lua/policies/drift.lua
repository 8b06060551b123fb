-- What to do when a node's actual state differs from what Pagoda put there
-- (design.md 11.2): alert only, or heal by queueing again the idempotent tasks
-- that restore the desired state.
--
-- decide(ctx) -> {action = "heal"|"alert", reason = "..."}
--   ctx.owner   "app:12", "cert:3" or "" (a task nobody owns)
--   ctx.app     {id, name, type, strategy = {onDrift = "alert"|"heal"}} | nil
--   ctx.node    {id = 5}
--   ctx.drift   {{item = "file:/etc/x.conf", kind = "file", reason = "changed",
--                 expected = "...", actual = "..."}, ...}
--   ctx.heals   {agesSec = {12, 300, ...}}  -- how long ago each earlier heal was queued
-- An application heals only when its strategy says onDrift = "heal", and at
-- most max_heals times per window: a node that keeps drifting (someone or
-- something keeps editing the file) gets an alert instead of a fight.
local check = require("check")

local M = { max_heals = 3, window_sec = 600 }

-- Items a heal cannot restore: nginx's whole configuration changed outside
-- Pagoda, which no single task of ours rewrites.
local function healable(d)
  return d.kind ~= "nginx"
end

function M.decide(ctx)
  check.type(ctx, "table", "ctx")
  local drift = check.list(check.type(ctx.drift, "table", "drift"), "drift")
  local app = check.optional(ctx.app, "table", "app", nil)
  local heals = check.optional(ctx.heals, "table", "heals", {})
  local mode = app and app.strategy and app.strategy.onDrift or "alert"
  if mode ~= "heal" then
    return { action = "alert", reason = "onDrift is " .. tostring(mode) }
  end
  local any = false
  for _, d in ipairs(drift) do any = any or healable(d) end
  if not any then
    return { action = "alert", reason = "nothing here can be restored by a task" }
  end
  local recent = 0
  for _, age in ipairs(check.list(check.optional(heals.agesSec, "table", "heals.agesSec", {}), "heals.agesSec")) do
    if age < M.window_sec then recent = recent + 1 end
  end
  if recent >= M.max_heals then
    return { action = "alert", reason = string.format(
      "healed %d times in the last %d s; leaving it to an operator", recent, M.window_sec) }
  end
  return { action = "heal", reason = string.format("restoring %d item(s)", #drift) }
end

function M.selftest()
  local d = M.decide({ drift = { { item = "file:/x", kind = "file" } },
    app = { strategy = { onDrift = "heal" } }, heals = { agesSec = {} } })
  assert(d.action == "heal", "selftest: heal")
end

return M
