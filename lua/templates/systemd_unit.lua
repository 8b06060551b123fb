-- Renders a systemd service unit (design.md 14.1).
--
-- render(unit) -> the unit text. unit:
--   name              "shop.service"
--   description       "Shop backend"               (optional)
--   exec              "/usr/bin/python3"           (absolute, or relative to currentDir)
--   args              {"-m", "http.server", "9000"} (optional)
--   type              "simple"|"exec"|"notify"|"forking"|"oneshot" (default simple)
--   user, group       "shop"                       (optional; default root)
--   workingDirectory  "/var/lib/pagoda/apps/shop"  (optional; relative: in currentDir;
--                                                  default currentDir when set)
--   currentDir        set by pagodad for applications with artifacts: the
--                     current release, /var/lib/pagoda/apps/<app>/current
--   environment       {PORT = "9000"}              (optional)
--   restart           "no"|"on-failure"|"always"|"on-abnormal" (default on-failure)
--   restartSec        2                            (optional)
--   after, wants      {"network-online.target"}    (optional)
--   wantedBy          "multi-user.target"          (optional)
--   hardening         true (default) | false | {NoNewPrivileges = false, ...}
--   job               set by pagodad for a scheduled job: oneshot, Restart=no,
--                     no [Install] (its timer starts it; systemd_timer.lua)
local check = require("check")
local template = require("template")

local M = {}

-- Sensible defaults an operator can turn off one by one (hardening = {X = false}).
local HARDENING = {
  { "NoNewPrivileges", "yes" }, { "PrivateTmp", "yes" }, { "ProtectSystem", "full" },
  { "ProtectHome", "read-only" }, { "ProtectKernelTunables", "yes" },
  { "ProtectKernelModules", "yes" }, { "ProtectControlGroups", "yes" },
  { "RestrictSUIDSGID", "yes" }, { "LockPersonality", "yes" },
  { "RestrictRealtime", "yes" },
}

-- One ExecStart word: quoted, with \ " % $ escaped for systemd.
local function quote(arg)
  return '"' .. arg:gsub('\\', '\\\\'):gsub('"', '\\"'):gsub('%%', '%%%%'):gsub('%$', '$$') .. '"'
end

local function unit_name(v, field)
  check.type(v, "string", field)
  if not v:match("^[%w:_%.@%-]+%.[%a]+$") or #v > 255 then
    check.fail(field, string.format("%q is not a systemd unit name", v))
  end
  return v
end

local function account(v, field)
  if v == nil or v == json.null then return nil end
  check.type(v, "string", field)
  if not v:match("^[%a_][%w_%-]*%$?$") or #v > 32 then
    check.fail(field, string.format("%q is not a user or group name", v))
  end
  return v
end

local FIELDS = { "name", "description", "exec", "args", "type", "user", "group", "workingDirectory",
  "environment", "restart", "restartSec", "after", "wants", "wantedBy", "hardening", "currentDir", "job" }

-- A path in the unit: absolute, or (with artifacts) relative to the current release.
local function unit_path(v, field, current)
  check.type(v, "string", field)
  if v:sub(1, 1) == "/" then return check.path(v, field) end
  if not current then
    check.fail(field, string.format("%q is relative: only applications with artifacts have a current release to resolve it in", v))
  end
  if v == "." then return current end
  return check.path(current .. "/" .. v, field)
end

local function validate(u)
  check.type(u, "table", "unit")
  check.fields(u, FIELDS, "")
  local s = {}
  s.name = unit_name(u.name, "name")
  if not s.name:match("%.service$") then check.fail("name", "must end in .service") end
  s.description = check.printable(check.optional(u.description, "string", "description", s.name), "description")
  -- systemd joins a line ending in a backslash with the next one
  if s.description:find("\\$") then check.fail("description", "must not end with a backslash") end
  local current = nil
  if u.currentDir ~= nil and u.currentDir ~= json.null then current = check.path(u.currentDir, "currentDir") end
  local words = { quote(unit_path(u.exec, "exec", current)) }
  for i, a in ipairs(check.list(check.optional(u.args, "table", "args", {}), "args", 256)) do
    words[#words + 1] = quote(check.printable(check.type(a, "string", "args[" .. i .. "]"), "args[" .. i .. "]"))
  end
  s.execStart = table.concat(words, " ")
  -- a scheduled job (set by pagodad from spec.schedule) runs once per timer
  -- event: oneshot, no restart loop, started by its timer rather than at boot
  s.job = check.optional(u.job, "boolean", "job", false)
  s.type = check.oneof(u.type or (s.job and "oneshot" or "simple"), "type", { "simple", "exec", "notify", "forking", "oneshot" })
  if s.job and s.type ~= "oneshot" then check.fail("type", "a scheduled job is a oneshot service") end
  s.user = account(u.user, "user")
  s.group = account(u.group, "group")
  if u.workingDirectory ~= nil and u.workingDirectory ~= json.null then
    s.workingDirectory = unit_path(u.workingDirectory, "workingDirectory", current)
  else
    s.workingDirectory = current
  end
  s.environment = {}
  local env = check.optional(u.environment, "table", "environment", {})
  local keys = {}
  for k in pairs(env) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(keys) do
    local f = "environment." .. tostring(k)
    if type(k) ~= "string" or not k:match("^[%a_][%w_]*$") then check.fail(f, "is not a variable name") end
    local v = check.printable(check.type(env[k], "string", f), f)
    s.environment[#s.environment + 1] = quote(k .. "=" .. v):gsub("%$%$", "$")
  end
  s.restart = check.oneof(u.restart or (s.job and "no" or "on-failure"), "restart", { "no", "on-failure", "always", "on-abnormal" })
  if s.job and s.restart ~= "no" then check.fail("restart", "a scheduled job runs again at its next event, not by Restart=") end
  s.restartSec = u.restartSec and check.integer(u.restartSec, "restartSec", 0, 3600) or 2
  s.after, s.wants = {}, {}
  for i, v in ipairs(check.list(check.optional(u.after, "table", "after", { "network-online.target" }), "after", 32)) do
    s.after[i] = unit_name(v, "after[" .. i .. "]")
  end
  for i, v in ipairs(check.list(check.optional(u.wants, "table", "wants", { "network-online.target" }), "wants", 32)) do
    s.wants[i] = unit_name(v, "wants[" .. i .. "]")
  end
  s.wantedBy = unit_name(check.optional(u.wantedBy, "string", "wantedBy", "multi-user.target"), "wantedBy")
  s.hardening = {}
  local hard = u.hardening
  if hard == nil or hard == json.null then hard = true end
  if type(hard) ~= "boolean" and type(hard) ~= "table" then check.fail("hardening", "must be true, false or a table") end
  if type(hard) == "table" then
    for k, v in pairs(hard) do
      local known = false
      for _, h in ipairs(HARDENING) do known = known or h[1] == k end
      if not known or type(v) ~= "boolean" then
        check.fail("hardening." .. tostring(k), "is not a known hardening switch (or not a boolean)")
      end
    end
  end
  for _, h in ipairs(HARDENING) do
    if hard == true or (type(hard) == "table" and hard[h[1]] ~= false) then
      s.hardening[#s.hardening + 1] = h
    end
  end
  return s
end
M.validate = validate

function M.render(unit)
  local s = validate(unit)
  return template.render(resource("templates/systemd_unit.tpl"), { unit = s }, check.systemd_value,
    "systemd_unit.tpl")
end

function M.selftest()
  local out = M.render({ name = "selftest.service", exec = "/bin/true", args = { "50%", "a b" } })
  assert(out:find('ExecStart="/bin/true" "50%%" "a b"', 1, true), "selftest: ExecStart quoting")
  out = M.render({ name = "s.service", exec = "bin/s", currentDir = "/var/lib/pagoda/apps/s/current" })
  assert(out:find('ExecStart="/var/lib/pagoda/apps/s/current/bin/s"', 1, true), "selftest: relative exec")
  assert(out:find("WorkingDirectory=/var/lib/pagoda/apps/s/current\n", 1, true), "selftest: working directory")
  assert(not pcall(M.render, { name = "s.service", exec = "bin/s" }), "selftest: relative exec without currentDir")
end

return M
