local unit = module("templates/systemd_unit.lua")

local function u(over)
  local s = { name = "shop.service", exec = "/usr/bin/python3", args = { "-m", "http.server", "9000" } }
  for k, v in pairs(over or {}) do s[k] = v end
  return s
end

return {
  ["a service with hardening on by default"] = function()
    local out = unit.render(u({ user = "shop", workingDirectory = "/var/lib/pagoda/apps/shop",
      environment = { PORT = "9000" } }))
    T.contains(out, 'ExecStart="/usr/bin/python3" "-m" "http.server" "9000"\n')
    T.contains(out, "User=shop\n")
    T.contains(out, 'Environment="PORT=9000"\n')
    T.contains(out, "Restart=on-failure\n")
    T.contains(out, "NoNewPrivileges=yes\n")
    T.contains(out, "ProtectSystem=full\n")
    T.contains(out, "[Install]\nWantedBy=multi-user.target\n")
  end,
  ["hardening can be turned off, all or one"] = function()
    T.ok(not unit.render(u({ hardening = false })):find("NoNewPrivileges"), "all off")
    local out = unit.render(u({ hardening = { ProtectHome = false } }))
    T.ok(not out:find("ProtectHome"), "one off")
    T.contains(out, "PrivateTmp=yes")
    T.err(function() unit.render(u({ hardening = { MakeItSafe = true } })) end, "hardening.MakeItSafe")
  end,
  ["arguments and values are quoted for systemd"] = function()
    local out = unit.render(u({ args = { 'say "hi"', "50%", "$HOME", "a\\b" }, environment = { MSG = "100% $x" } }))
    T.contains(out, [[ExecStart="/usr/bin/python3" "say \"hi\"" "50%%" "$$HOME" "a\\b"]])
    T.contains(out, [[Environment="MSG=100%% $x"]])
  end,
  ["relative paths run from the current release of the artifacts"] = function()
    local cur = "/var/lib/pagoda/apps/shop/current"
    local out = unit.render(u({ exec = "bin/shop", currentDir = cur }))
    T.contains(out, 'ExecStart="' .. cur .. '/bin/shop"')
    T.contains(out, "WorkingDirectory=" .. cur .. "\n")
    out = unit.render(u({ exec = "bin/shop", workingDirectory = "data", currentDir = cur }))
    T.contains(out, "WorkingDirectory=" .. cur .. "/data\n")
    T.contains(unit.render(u({ currentDir = cur })), 'ExecStart="/usr/bin/python3"')
    T.err(function() unit.render(u({ exec = "../../../bin/sh", currentDir = cur })) end, "^exec")
    T.err(function() unit.render(u({ exec = "bin/x\nExecStartPre=/bin/sh", currentDir = cur })) end, "^exec")
  end,
  ["injection is refused with the field named"] = function()
    T.err(function() unit.render(u({ description = "x\nExecStartPre=/bin/sh" })) end, "^description")
    T.err(function() unit.render(u({ description = "innocent \\" })) end, "backslash")
    T.err(function() unit.render(u({ args = { "ok", "a\nb" } })) end, "args%[2%]")
    T.err(function() unit.render(u({ exec = "python3" })) end, "^exec")
    T.err(function() unit.render(u({ user = "root\nUser=x" })) end, "^user")
    T.err(function() unit.render(u({ environment = { ["A B"] = "x" } })) end, "environment")
    T.err(function() unit.render(u({ name = "shop" })) end, "^name")
    T.err(function() unit.render(u({ restart = "sometimes" })) end, "^restart")
  end,
  ["a scheduled job is a oneshot without restarts or [Install]"] = function()
    local out = unit.render(u({ job = true }))
    T.contains(out, "Type=oneshot\n")
    T.contains(out, "Restart=no\n")
    T.ok(not out:find("RestartSec"), "no RestartSec")
    T.ok(not out:find("[Install]", 1, true), "its timer starts it, not the boot")
    T.err(function() unit.render(u({ job = true, type = "simple" })) end, "^type")
    T.err(function() unit.render(u({ job = true, restart = "always" })) end, "^restart")
  end,
}
