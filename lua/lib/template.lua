-- A small template engine.
--   {{ expr }}   the value, passed through the escaper of the target
--   {{! expr }}  the value as it is (for text the caller built safely)
--   {% code %}   Lua statements: if/for/local function ... end
--   {# note #}   a comment
-- A line holding only a {% %} or {# #} tag disappears with its newline.
-- Template variables are the fields of the context table; anything else
-- resolves to the sandbox, where unknown names are errors.
local M = {}

local function emit_text(parts, text)
  if text ~= "" then
    parts[#parts + 1] = string.format("_o[#_o+1]=%q\n", text)
  end
end

function M.compile(src, name)
  name = name or "template"
  local parts = { "local _S = _ENV\nreturn function(_ctx, _esc)\n",
    "local _ENV = setmetatable({}, {__index = function(_, k) local v = _ctx[k]; if v == nil then v = _S[k] end; return v end})\n",
    "local _o = {}\n" }
  local pos = 1
  while true do
    local s, e, kind = src:find("{([{%%#])", pos)
    if not s then
      emit_text(parts, src:sub(pos))
      break
    end
    local close = ({ ["{"] = "}}", ["%"] = "%}", ["#"] = "#}" })[kind]
    local cs, ce = src:find(close, e + 1, true)
    if not cs then
      error(string.format("%s: unclosed {%s at byte %d", name, kind, s), 0)
    end
    local before = src:sub(pos, s - 1)
    local body = src:sub(e + 1, cs - 1)
    local after = ce + 1
    if kind ~= "{" then
      -- a tag alone on its line takes the line with it
      local ws = s
      while ws > pos and src:sub(ws - 1, ws - 1):match("[ \t]") do ws = ws - 1 end
      local nl = src:match("^[ \t]*\n()", after)
      if nl and (ws == 1 or src:sub(ws - 1, ws - 1) == "\n") then
        before = src:sub(pos, ws - 1)
        after = nl
      end
    end
    emit_text(parts, before)
    if kind == "{" then
      local raw = body:match("^!(.*)$")
      if raw then
        parts[#parts + 1] = "_o[#_o+1]=tostring(" .. raw .. ")\n"
      else
        parts[#parts + 1] = "_o[#_o+1]=_esc(" .. body .. ")\n"
      end
    elseif kind == "%" then
      parts[#parts + 1] = body .. "\n"
    end
    pos = after
  end
  parts[#parts + 1] = "return table.concat(_o)\nend\n"
  local fn, err = load(table.concat(parts), "=" .. name)
  if not fn then
    error(string.format("%s: %s", name, err), 0)
  end
  return fn()
end

-- Renders src with the fields of ctx; escape(value) makes each {{ }} safe.
function M.render(src, ctx, escape, name)
  return M.compile(src, name)(ctx, escape or tostring)
end

return M
