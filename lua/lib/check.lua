-- Input checks shared by templates and policies. Each check raises an error
-- naming the field, so the API can answer 4xx with a clear message; nothing
-- that could inject configuration (newline, ';', braces, quotes) gets past.
local M = {}

local function fail(field, msg)
  error({ field = field, message = field .. ": " .. msg }, 0)
end
M.fail = fail

-- Turns a check error into "field: message" text (for error()).
function M.message(e)
  if type(e) == "table" then return e.message end
  return tostring(e)
end

function M.type(v, t, field)
  if type(v) ~= t then fail(field, "must be a " .. t) end
  return v
end

-- Refuses a key of table t that is not in known (a list of names): a typo
-- ("env" for "environment") must not be dropped without a word. prefix
-- names the table in the error ("" at the top).
function M.fields(t, known, prefix)
  local ok = {}
  for _, k in ipairs(known) do ok[k] = true end
  local bad = {}
  for k in pairs(t) do
    if not ok[k] then bad[#bad + 1] = tostring(k) end
  end
  if #bad > 0 then
    table.sort(bad)
    fail(prefix .. bad[1], "is not a known field (known: " .. table.concat(known, ", ") .. ")")
  end
  return t
end

function M.optional(v, t, field, default)
  if v == nil or v == json.null then return default end
  return M.type(v, t, field)
end

function M.integer(v, field, lo, hi)
  if math.type(v) ~= "integer" then fail(field, "must be an integer") end
  if (lo and v < lo) or (hi and v > hi) then
    fail(field, string.format("must be between %d and %d", lo, hi))
  end
  return v
end

function M.list(v, field, max)
  M.type(v, "table", field)
  local n = #v
  for k in pairs(v) do
    if math.type(k) ~= "integer" or k < 1 or k > n then fail(field, "must be a list") end
  end
  if max and n > max then fail(field, "has more than " .. max .. " entries") end
  return v
end

function M.oneof(v, field, values)
  for _, x in ipairs(values) do
    if v == x then return v end
  end
  fail(field, "must be one of " .. table.concat(values, ", "))
end

-- No control characters at all (newline injection).
function M.printable(v, field)
  M.type(v, "string", field)
  if v:find("[%c]") then fail(field, "must not contain control characters (newline, tab, ...)") end
  return v
end

-- A DNS name, optionally a wildcard: letters, digits, '-', dots.
function M.domain(v, field)
  M.type(v, "string", field)
  local name = v:gsub("^%*%.", "")
  if #v > 253 or name == "" or not name:match("^[%w%-%.]+$") or name:find("%.%.")
      or name:match("^[%.%-]") or name:match("[%.%-]$") then
    fail(field, string.format("%q is not a valid domain name", v))
  end
  return v:lower()
end

-- Addresses are parsed by inet_pton (pagoda.ip_family): dotted quads
-- without leading zeros, IPv6 in any RFC 4291 form, no zone ids.
function M.ipv4(v)
  return type(v) == "string" and pagoda.ip_family(v) == 4
end

-- Whether v is an IPv4 or IPv6 address, without raising.
function M.is_ip(v)
  return type(v) == "string" and pagoda.ip_family(v) ~= nil
end

function M.ip(v, field)
  M.type(v, "string", field)
  if M.is_ip(v) then return v end
  fail(field, string.format("%q is not an IP address", v))
end

function M.port(v, field)
  return M.integer(v, field, 1, 65535)
end

-- An absolute, normalised path without anything nginx or systemd would
-- read as syntax.
function M.path(v, field)
  M.type(v, "string", field)
  if not v:match("^/[%w%._~/%-]*$") or v:find("//") or v:find("/%.%.?/") or v:match("/%.%.?$") then
    fail(field, string.format("%q must be an absolute path of letters, digits and . _ ~ - /", v))
  end
  return v
end

-- A URL path prefix for an nginx location.
function M.url_path(v, field)
  M.type(v, "string", field)
  if not v:match("^/[%w%._~/%-]*$") or v:find("//") then
    fail(field, string.format("%q must be a URL path of letters, digits and . _ ~ - /", v))
  end
  return v
end

function M.identifier(v, field)
  M.type(v, "string", field)
  if not v:match("^[%a_][%w_]*$") or #v > 64 then
    fail(field, string.format("%q must be letters, digits and _ (not starting with a digit)", v))
  end
  return v
end

function M.name(v, field)
  M.type(v, "string", field)
  if not v:match("^[%w][%w%._%-]*$") or #v > 128 then
    fail(field, string.format("%q must be letters, digits and . _ -", v))
  end
  return v
end

-- A double-quoted nginx string: printable, no quote, and a backslash only
-- before a character a regex escapes (a trailing one would eat the closing
-- quote). dollar=false also refuses '$' (no variables expand there).
function M.nginx_quoted(v, field, max, dollar)
  M.printable(v, field)
  if v == "" or #v > max then fail(field, "must be 1 to " .. max .. " characters") end
  if v:find('"', 1, true) then fail(field, "must not contain a double quote") end
  if not dollar and v:find("$", 1, true) then fail(field, "must not contain '$' (nginx would expand a variable)") end
  local i = v:find("\\", 1, true)
  while i do
    if not v:sub(i + 1, i + 1):match("^[%.%*%+%?%(%)%[%]{}|%^%$/dwsDWSb%-]$") then
      fail(field, "a backslash must escape one of . * + ? ( ) [ ] { } | ^ $ / - or a class letter")
    end
    i = v:find("\\", i + 2, true)
  end
  return '"' .. v .. '"'
end

-- One component of a calendar event ("*", "5", "1,15", "1..5", "*/10",
-- "0/15", "2024..2030/2"): each number within lo..hi.
local function calendar_part(v, lo, hi)
  if v == "*" then return true end
  for item in (v .. ","):gmatch("([^,]*),") do
    local a, b, step = item:match("^(%d+)%.%.(%d+)/(%d+)$")
    if not a then a, b = item:match("^(%d+)%.%.(%d+)$") end
    if not a then a, step = item:match("^(%d+)/(%d+)$") end
    if not a then
      step = item:match("^%*/(%d+)$")
      if step then a = tostring(lo) end
    end
    if not a then a = item:match("^(%d+)$") end
    if not a or #a > 4 or (b and #b > 4) or (step and #step > 4) then return false end
    a, b, step = tonumber(a), b and tonumber(b), step and tonumber(step)
    if a < lo or a > hi or (b and (b < a or b > hi)) or (step and step < 1) then return false end
  end
  return true
end

local WEEKDAYS = { mon = 1, tue = 2, wed = 3, thu = 4, fri = 5, sat = 6, sun = 7,
  monday = 1, tuesday = 2, wednesday = 3, thursday = 4, friday = 5, saturday = 6, sunday = 7 }
local SHORTHANDS = { minutely = 1, hourly = 1, daily = 1, weekly = 1, monthly = 1, yearly = 1,
  annually = 1, quarterly = 1, semiannually = 1 }

-- A systemd calendar event (systemd.time(7)): a shorthand such as "daily",
-- or "[WEEKDAYS] [DATE] [TIME] [UTC]" with *, lists, ranges (..) and
-- repetitions (/N). Stricter than systemd (no ~ last days, no time zones
-- but UTC): what passes here, OnCalendar= takes.
function M.calendar(v, field)
  M.printable(v, field)
  local function bad(why)
    fail(field, string.format("%q is not a calendar event (%s); examples: daily, "
      .. "\"*-*-* 03:00:00\", \"Mon..Fri 09:30\", \"*:0/15\"", v, why))
  end
  if v == "" or #v > 128 then bad("1 to 128 characters") end
  if SHORTHANDS[v:lower()] then return v:lower() end
  local words = {}
  for w in v:gmatch("%S+") do words[#words + 1] = w end
  if v:find("  ", 1, true) or v:match("^%s") or v:match("%s$") then bad("one space between parts") end
  local i = 1
  if words[i] and words[i]:match("^%a") and words[i] ~= "UTC" then
    for day in (words[i] .. ","):gmatch("([^,]*),") do
      local a, b = day:match("^(%a+)%.%.(%a+)$")
      for _, d in ipairs(a and { a, b } or { day }) do
        if not WEEKDAYS[d:lower()] then bad("unknown weekday " .. d) end
      end
    end
    i = i + 1
  end
  if words[i] and words[i]:find("-", 1, true) then
    local parts = {}
    for p in (words[i] .. "-"):gmatch("([^-]*)-") do parts[#parts + 1] = p end
    local ranges = #parts == 3 and { { 1970, 2199 }, { 1, 12 }, { 1, 31 } } or { { 1, 12 }, { 1, 31 } }
    if #parts < 2 or #parts > 3 then bad("a date is YEAR-MONTH-DAY or MONTH-DAY") end
    for k, p in ipairs(parts) do
      if not calendar_part(p, ranges[k][1], ranges[k][2]) then bad("date part " .. p) end
    end
    i = i + 1
  end
  if words[i] and words[i]:find(":", 1, true) then
    local parts = {}
    for p in (words[i] .. ":"):gmatch("([^:]*):") do parts[#parts + 1] = p end
    if #parts < 2 or #parts > 3 then bad("a time is HOUR:MINUTE[:SECOND]") end
    local ranges = { { 0, 23 }, { 0, 59 }, { 0, 59 } }
    for k, p in ipairs(parts) do
      if not calendar_part(p, ranges[k][1], ranges[k][2]) then bad("time part " .. p) end
    end
    i = i + 1
  end
  if words[i] == "UTC" then i = i + 1 end
  if i == 1 then bad("no weekday, date or time") end
  if words[i] then bad("unexpected " .. words[i]) end
  return v
end

-- The escaper for nginx templates: a token nginx reads as one word.
function M.nginx_value(v)
  local s = tostring(v)
  if not s:match("^[%w%._~:/%*@%+=,%-%[%]]+$") then
    error(string.format("unsafe value for an nginx config: %q", s), 0)
  end
  return s
end

-- The escaper for systemd unit templates: one line, '%' doubled.
function M.systemd_value(v)
  local s = tostring(v)
  if s:find("[%c]") or s:find("\\$") then -- a trailing backslash continues the line
    error(string.format("unsafe value for a systemd unit: %q", s), 0)
  end
  return (s:gsub("%%", "%%%%"))
end

return M
