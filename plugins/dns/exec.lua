-- DNS-01 through an operator's program, the way lego's exec provider and
-- acme.sh hook scripts work: the program is called with argv
--   COMMAND... present <fqdn> <value>
--   COMMAND... cleanup <fqdn> <value>
-- and must exit 0. No shell is involved.
-- config: {command = {"/usr/local/bin/dns-hook", "--zone-file", "/etc/x"}, timeout = 60}
local M = { name = "exec", version = "1.0.0", kind = "dns" }

local function run(config, action, name, value)
  if type(config) ~= "table" or type(config.command) ~= "table" or #config.command == 0 then
    error("dns/exec: config.command must list the program and its arguments", 0)
  end
  local argv = {}
  for i, a in ipairs(config.command) do argv[i] = tostring(a) end
  argv[#argv + 1] = action
  argv[#argv + 1] = name
  argv[#argv + 1] = value
  local r, err = pagoda.exec(argv, { timeout = config.timeout or 60 })
  if not r then error("dns/exec: " .. err, 0) end
  if r.status ~= 0 then
    error(string.format("dns/exec: %s %s exited %d: %s", argv[1], action, r.status, r.stderr), 0)
  end
  return { ok = true, stdout = r.stdout }
end

function M.present(config, zone, name, value) return run(config, "present", name, value) end
function M.cleanup(config, zone, name, value) return run(config, "cleanup", name, value) end

return M
