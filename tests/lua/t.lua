-- Assertion helpers for Lua tests (loaded by pagoda-lua test --helpers).
local T = {}

local function show(v, depth)
  depth = depth or 0
  if type(v) ~= "table" or depth > 4 then return string.format("%q", v) end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local out = {}
  for _, k in ipairs(keys) do out[#out + 1] = tostring(k) .. "=" .. show(v[k], depth + 1) end
  return "{" .. table.concat(out, ", ") .. "}"
end
T.show = show

local function deep_eq(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) ~= "table" then return a == b end
  for k, v in pairs(a) do if not deep_eq(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

function T.eq(got, want, what)
  if not deep_eq(got, want) then
    error(string.format("%s: got %s, want %s", what or "value", show(got), show(want)), 2)
  end
end

function T.ok(cond, what)
  if not cond then error(what or "condition failed", 2) end
end

-- Expects fn to raise an error whose text (or .message) matches pattern.
function T.err(fn, pattern, what)
  local ok, e = pcall(fn)
  if ok then error((what or "call") .. ": expected an error matching " .. pattern, 2) end
  local msg = type(e) == "table" and tostring(e.message) or tostring(e)
  if not msg:find(pattern) then
    error(string.format("%s: error %q does not match %q", what or "call", msg, pattern), 2)
  end
  return e
end

function T.contains(text, needle, what)
  if not text:find(needle, 1, true) then
    error(string.format("%s: %q not found in:\n%s", what or "text", needle, text), 2)
  end
end

return T
