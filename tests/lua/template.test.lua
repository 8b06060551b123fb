local template = module("lib/template.lua")

local function up(v) return string.upper(tostring(v)) end

return {
  ["values go through the escaper, raw ones do not"] = function()
    T.eq(template.render("a={{ x }} b={{! x }}", { x = "q" }, up), "a=Q b=q")
  end,
  ["code blocks and loops"] = function()
    local out = template.render("{% for i, v in ipairs(xs) do %}[{{ v }}]{% end %}", { xs = { 1, 2, 3 } }, tostring)
    T.eq(out, "[1][2][3]")
  end,
  ["a tag alone on its line takes the line away"] = function()
    local src = "a\n  {% if on then %}\nb\n  {% end %}\n{# note #}\nc\n"
    T.eq(template.render(src, { on = true }, tostring), "a\nb\nc\n")
    T.eq(template.render(src, { on = false }, tostring), "a\nc\n")
  end,
  ["local functions can emit"] = function()
    local src = "{% local function twice(v) %}{{ v }}{{ v }}{% end %}{% twice(x) %}-{% twice(y) %}"
    T.eq(template.render(src, { x = 1, y = 2 }, tostring), "11-22")
  end,
  ["unknown variables are errors, not empty strings"] = function()
    T.err(function() template.render("{{ nope }}", {}, tostring) end, "unknown global 'nope'")
  end,
  ["an unclosed tag is a clear error"] = function()
    T.err(function() template.render("x {{ y", { y = 1 }, tostring, "t.tpl") end, "t.tpl: unclosed")
  end,
  ["an escaper can refuse a value"] = function()
    local check = module("lib/check.lua")
    T.err(function() template.render("{{ v }}", { v = "a;b" }, check.nginx_value) end, "unsafe value")
    T.eq(template.render("{{ v }}", { v = "100%" }, check.systemd_value), "100%%")
  end,
}
