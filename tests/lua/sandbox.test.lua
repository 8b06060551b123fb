-- What scripts cannot reach, seen from inside the sandbox.
return {
  ["no io, os.execute, debug, package, dofile"] = function()
    for _, name in ipairs({ "io", "debug", "package", "dofile", "loadfile", "collectgarbage" }) do
      T.err(function() return _ENV[name] end, "unknown global '" .. name .. "'", name)
    end
    T.eq(os.execute, nil, "os.execute")
    T.eq(os.exit, nil, "os.exit")
    T.eq(os.getenv, nil, "os.getenv")
    T.eq(string.dump, nil, "string.dump")
  end,
  ["require only finds bundled libraries"] = function()
    T.err(function() require("os") end, "no file lib/os.lua")
    T.err(function() require("../../etc/passwd") end, "not a bundled library")
    T.ok(require("check").domain, "lib/check.lua loads")
  end,
  ["load takes text only, in the sandbox"] = function()
    local f = load("return io")
    T.err(f, "unknown global 'io'")
    local bin = "\27Lua" .. string.rep("\0", 20)
    local g, err = load(bin)
    T.ok(g == nil and err:find("binary"), "binary chunks are refused")
  end,
  ["globals cannot be created"] = function()
    T.err(function() leak = 1 end, "assignment to global 'leak'")
  end,
  ["plugins-only helpers are here for tests (and plugins)"] = function()
    T.ok(type(pagoda.http) == "function" and type(pagoda.exec) == "function", "http and exec")
  end,
}
