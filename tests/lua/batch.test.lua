local batch = module("policies/batch.lua")

local function nodes(spec)
  local out = {}
  for i, s in ipairs(spec) do out[i] = { id = i, name = "n" .. string.format("%02d", i), status = s } end
  return out
end

local function ids(plan)
  local out = {}
  for i, b in ipairs(plan.batches) do out[i] = b.nodes end
  return out
end

return {
  ["batches of a fixed size, in name order"] = function()
    local ns = nodes({ "online", "online", "online", "online", "online" })
    ns[1].name, ns[5].name = "zz", "aa"
    local p = batch.plan({ nodes = ns, strategy = { batchSize = 2 } })
    T.eq(ids(p), { { 5, 2 }, { 3, 4 }, { 1 } }, "batches")
    T.eq(p.skipped, {}, "skipped")
    T.eq(p.batches[1].index, 1)
    T.eq(p.batches[3].maxParallel, 1, "maxParallel defaults to the batch size")
  end,
  ["percent rounds up and never below one"] = function()
    local p = batch.plan({ nodes = nodes({ "online", "online", "online" }), strategy = { batchPercent = 10 } })
    T.eq(#p.batches, 3)
    p = batch.plan({ nodes = nodes({ "online", "online", "online", "online" }), strategy = { batchPercent = 50 } })
    T.eq(ids(p), { { 1, 2 }, { 3, 4 } })
    p = batch.plan({ nodes = nodes({ "online", "online", "online", "online", "online", "online", "online", "online" }) })
    T.eq(#p.batches, 4, "25% by default")
  end,
  ["canary first, then the rest"] = function()
    local p = batch.plan({ nodes = nodes({ "online", "online", "online", "online", "online" }),
      strategy = { canary = 1, batchSize = 2, failureThreshold = 1, batchTimeoutSec = 30,
        pauseBetweenBatchesSec = 5, maxParallel = 1 } })
    T.eq(ids(p), { { 1 }, { 2, 3 }, { 4, 5 } })
    T.eq(p.batches[1].canary, true)
    T.eq(p.batches[2].canary, false)
    T.eq(p.batches[2].failureThreshold, 1)
    T.eq(p.batches[2].timeoutSec, 30)
    T.eq(p.batches[2].pauseAfterSec, 5)
    T.eq(p.batches[2].maxParallel, 1)
  end,
  ["offline and cordoned nodes are skipped with why"] = function()
    local p = batch.plan({ nodes = nodes({ "online", "offline", "cordoned", "online" }), strategy = { batchSize = 5 } })
    T.eq(ids(p), { { 1, 4 } })
    T.eq(p.skipped, { { nodeId = 2, reason = "offline" }, { nodeId = 3, reason = "cordoned" } })
  end,
  ["no eligible node gives no batch"] = function()
    local p = batch.plan({ nodes = nodes({ "offline" }), strategy = { canary = true } })
    T.eq(p.batches, {})
    T.eq(#p.skipped, 1)
  end,
  ["bad strategy values name their field"] = function()
    T.err(function() batch.plan({ nodes = {}, strategy = { batchSize = 0 } }) end, "strategy.batchSize")
    T.err(function() batch.plan({ nodes = {}, strategy = { batchPercent = 101 } }) end, "strategy.batchPercent")
    T.err(function() batch.plan({ nodes = { { id = "x" } } }) end, "nodes%[1%]%.id")
  end,
  ["the same input plans the same way"] = function()
    local ns = nodes({ "online", "online", "online", "online" })
    T.eq(batch.plan({ nodes = ns, strategy = { batchSize = 3 } }), batch.plan({ nodes = ns, strategy = { batchSize = 3 } }))
  end,
}
