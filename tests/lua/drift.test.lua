local drift = module("policies/drift.lua")

local function ctx(mode, ages, kinds)
  local items = {}
  for i, k in ipairs(kinds or { "file" }) do items[i] = { item = k .. ":" .. i, kind = k, reason = "changed" } end
  return { owner = "app:1", app = { id = 1, name = "web", strategy = { onDrift = mode } },
    node = { id = 2 }, drift = items, heals = { agesSec = ages or {} } }
end

return {
  ["alert only unless the application asks to heal"] = function()
    T.eq(drift.decide(ctx(nil)).action, "alert")
    T.eq(drift.decide(ctx("alert")).action, "alert")
  end,
  ["heal when asked"] = function()
    local d = drift.decide(ctx("heal"))
    T.eq(d.action, "heal")
    T.contains(d.reason, "1 item")
  end,
  ["a node that keeps drifting is not hammered"] = function()
    T.eq(drift.decide(ctx("heal", { 10, 20 })).action, "heal")
    local d = drift.decide(ctx("heal", { 10, 20, 30 }))
    T.eq(d.action, "alert")
    T.contains(d.reason, "healed 3 times")
  end,
  ["old heals fall out of the window"] = function()
    T.eq(drift.decide(ctx("heal", { 700, 800, 900, 10 })).action, "heal")
  end,
  ["tasks without an application only alert"] = function()
    local c = ctx("heal")
    c.app = nil
    c.owner = ""
    T.eq(drift.decide(c).action, "alert")
  end,
  ["nginx configuration edited elsewhere cannot be healed"] = function()
    T.eq(drift.decide(ctx("heal", {}, { "nginx" })).action, "alert")
    T.eq(drift.decide(ctx("heal", {}, { "nginx", "file" })).action, "heal")
  end,
  ["bad input is an error, not a decision"] = function()
    T.err(function() drift.decide({}) end, "drift")
  end,
}
