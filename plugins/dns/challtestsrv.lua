-- DNS-01 through pebble-challtestsrv's management API (used by the ACME
-- tests against Pebble). config: {url = "http://127.0.0.1:8055"}
local M = { name = "challtestsrv", version = "1.0.0", kind = "dns" }

local function call(config, path, body)
  local url = type(config) == "table" and config.url or "http://127.0.0.1:8055"
  local r, err = pagoda.http({ method = "POST", url = url .. path, body = json.encode(body),
    headers = { ["Content-Type"] = "application/json" }, timeout = 10 })
  if not r then error("challtestsrv: " .. err, 0) end
  if r.status ~= 200 then
    error(string.format("challtestsrv %s answered %d: %s", path, r.status, r.body), 0)
  end
end

local function fqdn(name)
  return name:sub(-1) == "." and name or name .. "."
end

-- present(config, zone, name, value): publish TXT name = value.
function M.present(config, zone, name, value)
  call(config, "/set-txt", { host = fqdn(name), value = value })
  return { ok = true }
end

function M.cleanup(config, zone, name, value)
  call(config, "/clear-txt", { host = fqdn(name) })
  return { ok = true }
end

return M
