local timer = module("templates/systemd_timer.lua")

local function t(over)
  local s = { name = "backup.timer", service = "backup.service", calendar = "*-*-* 03:00:00" }
  for k, v in pairs(over or {}) do s[k] = v end
  return s
end

return {
  ["a timer starts its service on the calendar"] = function()
    local out = timer.render(t({ persistent = true, randomizedDelaySec = 300 }))
    T.contains(out, "[Timer]\nOnCalendar=*-*-* 03:00:00\nUnit=backup.service\nPersistent=true\nRandomizedDelaySec=300\nAccuracySec=60\n")
    T.contains(out, "[Install]\nWantedBy=timers.target\n")
    T.contains(timer.render(t()), "Persistent=false\n")
  end,
  ["calendar events systemd takes"] = function()
    for _, c in ipairs({ "daily", "Hourly", "minutely", "*-*-* 03:00:00", "Mon..Fri 09:30", "Sat,Sun *-*-* 10:00",
      "*:0/15", "*-*-01 00:00:00", "2027-01-01 00:00:00 UTC", "12-24 18:00", "*-*-* *:*:0/5",
      "Mon", "*:00", "0..23/2:00", "1,15 *-*-1..7 4:00" }) do
      local ok, e = pcall(timer.render, t({ calendar = c }))
      if c == "1,15 *-*-1..7 4:00" then
        T.ok(not ok, "a list of numbers is not a weekday: " .. c)
      else
        T.ok(ok, c .. ": " .. tostring(type(e) == "table" and e.message or e))
      end
    end
  end,
  ["bad calendars and injection are refused with the field named"] = function()
    for _, c in ipairs({ "", "sometimes", "*-*-* 25:00", "*-13-01", "*-*-32", "*:60", "Funday 10:00",
      "daily\nExecStart=/bin/sh", "*-*-* 03:00:00 Europe/Berlin", "*-*-* 03:00  ", "1..", "*/0:00",
      "Mon..Xyz", "03:00:00:00", "*-*-* 3:00 extra", "%n", "*-*-*-* 00:00" }) do
      T.err(function() timer.render(t({ calendar = c })) end, "^calendar", c)
    end
    T.err(function() timer.render(t({ name = "x.service" })) end, "^name")
    T.err(function() timer.render(t({ service = "x;y.service" })) end, "^service")
    T.err(function() timer.render(t({ randomizedDelaySec = -1 })) end, "randomizedDelaySec")
    T.err(function() timer.render(t({ every = "day" })) end, "every")
  end,
}
