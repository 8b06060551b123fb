-- Renders the systemd timer of a scheduled job (an application whose spec
-- has a schedule): it starts the job's oneshot service on the calendar.
--
-- render(timer) -> the unit text. timer:
--   name               "backup.timer"
--   service            "backup.service"            (the unit it starts)
--   calendar           "*-*-* 03:00:00"            (OnCalendar=, check.calendar)
--   persistent         false                       (run a missed event after boot)
--   randomizedDelaySec 0                           (spread the start, 0 to 86400)
--   accuracySec        60                          (how exact the start is, 1 to 86400)
local check = require("check")
local template = require("template")

local M = {}

local function unit_name(v, field, suffix)
  check.type(v, "string", field)
  if not v:match("^[%w_%.@%-]+$") or #v > 255 or v:sub(-#suffix) ~= suffix then
    check.fail(field, string.format("%q is not a %s unit name", v, suffix))
  end
  return v
end

function M.validate(t)
  check.type(t, "table", "timer")
  check.fields(t, { "name", "service", "calendar", "persistent", "randomizedDelaySec", "accuracySec" }, "")
  return {
    name = unit_name(t.name, "name", ".timer"),
    service = unit_name(t.service, "service", ".service"),
    calendar = check.calendar(t.calendar, "calendar"),
    persistent = check.optional(t.persistent, "boolean", "persistent", false),
    delay = t.randomizedDelaySec == nil and 0 or check.integer(t.randomizedDelaySec, "randomizedDelaySec", 0, 86400),
    accuracy = t.accuracySec == nil and 60 or check.integer(t.accuracySec, "accuracySec", 1, 86400),
  }
end

function M.render(t)
  local s = M.validate(t)
  return template.render(resource("templates/systemd_timer.tpl"), { timer = s }, check.systemd_value,
    "systemd_timer.tpl")
end

function M.selftest()
  local out = M.render({ name = "j.timer", service = "j.service", calendar = "daily" })
  assert(out:find("OnCalendar=daily\n", 1, true), "selftest: OnCalendar")
end

return M
