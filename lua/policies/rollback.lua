-- What to do after a batch of a release (design.md 7.3 step 5, 8.2).
--
-- decide(ctx) -> {action = "continue"|"pause"|"fail"|"rollback",
--                 targetReleaseId = n (rollback only), reason = "..."}
--   ctx.release   {id = 12, previousReleaseId = 11 | nil}
--   ctx.app       {rollback = "auto"|"manual"}
--   ctx.batch     {index = 1, total = 4, canary = true,
--                  nodes = {{nodeId = 1, status = "succeeded"|"failed"|"timeout"}, ...},
--                  failureThreshold = 0}
--   ctx.strategy  {pauseAfterCanary = false}
-- A batch fails when more nodes failed (or timed out) than its
-- failureThreshold. Then: automatic rollback when the application asks for
-- it and there is a release to go back to; otherwise the release fails and
-- an operator decides.
local check = require("check")

local M = {}

function M.decide(ctx)
  check.type(ctx, "table", "ctx")
  local batch = check.type(ctx.batch, "table", "batch")
  local release = check.optional(ctx.release, "table", "release", {})
  local app = check.optional(ctx.app, "table", "app", {})
  local strategy = check.optional(ctx.strategy, "table", "strategy", {})
  local threshold = batch.failureThreshold and check.integer(batch.failureThreshold, "batch.failureThreshold", 0) or 0
  local failed, names = 0, {}
  for i, n in ipairs(check.list(check.optional(batch.nodes, "table", "batch.nodes", {}), "batch.nodes")) do
    check.type(n, "table", "batch.nodes[" .. i .. "]")
    if n.status ~= "succeeded" then
      failed = failed + 1
      names[#names + 1] = tostring(n.nodeId) .. " " .. tostring(n.status)
    end
  end
  if failed > threshold then
    local why = string.format("batch %d: %d node(s) failed (threshold %d): %s", batch.index or 0,
      failed, threshold, table.concat(names, ", "))
    local prev = release.previousReleaseId
    if app.rollback == "auto" and math.type(prev) == "integer" then
      return { action = "rollback", targetReleaseId = prev, reason = why .. "; rolling back to release " .. prev }
    end
    return { action = "fail", reason = why }
  end
  if batch.canary and strategy.pauseAfterCanary == true and (batch.index or 1) < (batch.total or 1) then
    return { action = "pause", reason = "canary batch succeeded; waiting for an operator to resume" }
  end
  return { action = "continue", reason = string.format("batch %d succeeded", batch.index or 0) }
end

function M.selftest()
  local d = M.decide({ batch = { index = 1, nodes = { { nodeId = 1, status = "failed" } } },
    release = { previousReleaseId = 4 }, app = { rollback = "auto" } })
  assert(d.action == "rollback" and d.targetReleaseId == 4, "selftest: decide")
end

return M
