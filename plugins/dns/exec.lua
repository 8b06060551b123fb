-- DNS-01 through an operator's program, the way lego's exec provider and
-- acme.sh hook scripts work: the program is called with argv
--   COMMAND... present <fqdn> <value>
--   COMMAND... cleanup <fqdn> <value>
-- and must exit 0. No shell is involved.
--
-- The program is the operator's choice, never a requester's: it comes from
-- pagodad's --plugin-settings file on the control-plane host,
--   {"dns": {"exec": {"command": ["/usr/local/bin/dns-hook", "--zone", "x"], "timeout": 60}}}
-- and a certificate request's dns.config must be empty.
local M = { name = "exec", version = "2.0.0", kind = "dns" }

local function fail(field, message) error({ field = field, message = message }, 0) end

local function settings()
  local s = pagoda.settings()
  if type(s.command) ~= "table" or #s.command == 0 then
    fail("plugin", "dns/exec has no program: the operator sets dns.exec.command "
      .. "in pagodad's --plugin-settings file")
  end
  for i, a in ipairs(s.command) do
    if type(a) ~= "string" then fail("plugin", "dns/exec: settings command[" .. i .. "] is not a string") end
  end
  if s.command[1]:sub(1, 1) ~= "/" then
    fail("plugin", "dns/exec: settings command[1] must be an absolute path")
  end
  return s
end

-- Called when a certificate is requested: refuses any request config.
function M.check(config)
  for k in pairs(config or {}) do
    fail("config." .. tostring(k), "dns/exec takes no request config: its program and arguments "
      .. "are the operator's (dns.exec in pagodad's --plugin-settings)")
  end
  settings()
  return true
end

local function run(action, name, value)
  local s = settings()
  local argv = {}
  for i, a in ipairs(s.command) do argv[i] = a end
  argv[#argv + 1] = action
  argv[#argv + 1] = name
  argv[#argv + 1] = value
  local r, err = pagoda.exec(argv, { timeout = tonumber(s.timeout) or 60 })
  if not r then error("dns/exec: " .. err, 0) end
  if r.status ~= 0 then
    error(string.format("dns/exec: %s %s exited %d: %s", argv[1], action, r.status, r.stderr), 0)
  end
  return { ok = true, stdout = r.stdout }
end

-- The request's config is not read: a request stored before settings
-- existed cannot smuggle a command in either.
function M.present(config, zone, name, value) return run("present", name, value) end
function M.cleanup(config, zone, name, value) return run("cleanup", name, value) end

return M
