local rollback = module("policies/rollback.lua")

local function ctx(statuses, over)
  local nodes = {}
  for i, s in ipairs(statuses) do nodes[i] = { nodeId = i, status = s } end
  local c = { batch = { index = 1, total = 3, nodes = nodes }, release = { id = 9, previousReleaseId = 8 },
    app = { rollback = "auto" } }
  for k, v in pairs(over or {}) do c[k] = v end
  return c
end

return {
  ["a clean batch continues"] = function()
    T.eq(rollback.decide(ctx({ "succeeded", "succeeded" })).action, "continue")
  end,
  ["a failure with auto rollback goes back to the previous release"] = function()
    local d = rollback.decide(ctx({ "succeeded", "failed" }))
    T.eq(d.action, "rollback")
    T.eq(d.targetReleaseId, 8)
    T.contains(d.reason, "1 node(s) failed")
  end,
  ["manual rollback fails the release instead"] = function()
    T.eq(rollback.decide(ctx({ "failed" }, { app = { rollback = "manual" } })).action, "fail")
  end,
  ["nothing to roll back to fails"] = function()
    T.eq(rollback.decide(ctx({ "timeout" }, { release = { id = 1 } })).action, "fail")
  end,
  ["failures up to the threshold are tolerated"] = function()
    local c = ctx({ "failed", "succeeded", "succeeded" })
    c.batch.failureThreshold = 1
    T.eq(rollback.decide(c).action, "continue")
  end,
  ["pause after a good canary when asked"] = function()
    local c = ctx({ "succeeded" }, { strategy = { pauseAfterCanary = true } })
    c.batch.canary = true
    T.eq(rollback.decide(c).action, "pause")
  end,
}
