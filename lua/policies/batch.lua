-- Batch planning for a release (design.md 7.3 step 3).
--
-- plan(ctx) -> {batches = {...}, skipped = {...}}
--   ctx.release   {id = 12, version = 3}
--   ctx.nodes     {{id = 1, name = "web-1", labels = {...}, status = "online"|"offline"|"cordoned"}, ...}
--   ctx.strategy  {batchSize = 2 | batchPercent = 25, canary = 1, maxParallel = 2,
--                  failureThreshold = 0, batchTimeoutSec = 300, pauseBetweenBatchesSec = 0}
-- Each batch: {index = 1, nodes = {ids}, canary = bool, maxParallel = n,
--              failureThreshold = n, timeoutSec = n, pauseAfterSec = n}
-- Offline and cordoned nodes are left out and listed in skipped with why.
-- Nodes are ordered by name then id, so the same input plans the same way.
local check = require("check")

local M = {}

local function opt_int(v, field, lo, hi, default)
  if v == nil or v == json.null then return default end
  return check.integer(v, field, lo, hi)
end

function M.plan(ctx)
  check.type(ctx, "table", "ctx")
  local st = check.optional(ctx.strategy, "table", "strategy", {})
  local nodes = check.list(check.optional(ctx.nodes, "table", "nodes", {}), "nodes")
  local eligible, skipped = {}, {}
  for i, n in ipairs(nodes) do
    check.type(n, "table", "nodes[" .. i .. "]")
    check.integer(n.id, "nodes[" .. i .. "].id", 1)
    if n.status == "online" then
      eligible[#eligible + 1] = n
    else
      skipped[#skipped + 1] = { nodeId = n.id, reason = n.status == "cordoned" and "cordoned" or "offline" }
    end
  end
  table.sort(eligible, function(a, b)
    local an, bn = tostring(a.name or ""), tostring(b.name or "")
    if an ~= bn then return an < bn end
    return a.id < b.id
  end)
  local total = #eligible
  local size
  if st.batchSize ~= nil and st.batchSize ~= json.null then
    size = check.integer(st.batchSize, "strategy.batchSize", 1, 100000)
  else
    local pct = opt_int(st.batchPercent, "strategy.batchPercent", 1, 100, 25)
    size = math.max(1, math.ceil(total * pct / 100))
  end
  local canary = st.canary
  if canary == true then canary = 1 end
  canary = opt_int(canary ~= false and canary or nil, "strategy.canary", 0, 100000, 0)
  local common = {
    maxParallel = opt_int(st.maxParallel, "strategy.maxParallel", 1, 100000, nil),
    failureThreshold = opt_int(st.failureThreshold, "strategy.failureThreshold", 0, 100000, 0),
    timeoutSec = opt_int(st.batchTimeoutSec, "strategy.batchTimeoutSec", 1, 86400, 600),
    pauseAfterSec = opt_int(st.pauseBetweenBatchesSec, "strategy.pauseBetweenBatchesSec", 0, 86400, 0),
  }
  local batches, pos = {}, 1
  local function take(n, is_canary)
    local b = { index = #batches + 1, nodes = {}, canary = is_canary }
    for _ = 1, n do
      if pos > total then break end
      b.nodes[#b.nodes + 1] = eligible[pos].id
      pos = pos + 1
    end
    for k, v in pairs(common) do b[k] = v end
    b.maxParallel = b.maxParallel or #b.nodes
    batches[#batches + 1] = b
  end
  if canary > 0 and total > 0 then take(math.min(canary, total), true) end
  while pos <= total do take(size, false) end
  return { batches = batches, skipped = skipped }
end

function M.selftest()
  local p = M.plan({ nodes = { { id = 1, status = "online" }, { id = 2, status = "offline" } },
    strategy = { batchSize = 1 } })
  assert(#p.batches == 1 and p.batches[1].nodes[1] == 1 and p.skipped[1].nodeId == 2, "selftest: plan")
end

return M
