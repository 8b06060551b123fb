-- lib/cloudsign.lua against the providers' published examples: AWS's
-- Signature V4 test suite and IAM example, Alibaba Cloud's RPC examples,
-- Tencent Cloud's TC3 example (two generations of its documentation).
local sign = require("cloudsign")

local AWS = { access_key = "AKIDEXAMPLE", secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  region = "us-east-1", service = "service", amz_date = "20150830T123600Z" }
local function aws(over)
  local r = {}
  for k, v in pairs(AWS) do r[k] = v end
  for k, v in pairs(over) do r[k] = v end
  return r
end

return {
  ["percent-encoding is RFC 3986's"] = function()
    T.eq(sign.percent("a b*c~d/e:f"), "a%20b%2Ac~d%2Fe%3Af")
    T.eq(sign.percent("/2013-04-01/hostedzone/Z1", true), "/2013-04-01/hostedzone/Z1")
    T.eq(sign.query_string({ b = "2", a = "1 x" }), "a=1%20x&b=2")
  end,
  ["SigV4: get-vanilla"] = function()
    local auth = sign.sigv4(aws({ method = "GET", path = "/", headers = { Host = "example.amazonaws.com" } }))
    T.eq(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
      .. "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
  end,
  ["SigV4: get-vanilla-query-order-key-case"] = function()
    local auth, creq = sign.sigv4(aws({ method = "GET", path = "/", query = { Param2 = "value2", Param1 = "value1" },
      headers = { Host = "example.amazonaws.com" } }))
    T.ok(creq:find("\nParam1=value1&Param2=value2\n", 1, true), creq)
    T.ok(auth:find("Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500$"), auth)
  end,
  ["SigV4: post-x-www-form-urlencoded"] = function()
    local auth = sign.sigv4(aws({ method = "POST", path = "/", body = "Param1=value1",
      headers = { Host = "example.amazonaws.com", ["Content-Type"] = "application/x-www-form-urlencoded" } }))
    T.eq(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
      .. "SignedHeaders=content-type;host;x-amz-date, "
      .. "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a")
  end,
  ["SigV4: the IAM ListUsers example of AWS's documentation"] = function()
    local auth, creq, sts = sign.sigv4(aws({ service = "iam", method = "GET", path = "/",
      query = { Action = "ListUsers", Version = "2010-05-08" },
      headers = { Host = "iam.amazonaws.com", ["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8" } }))
    T.eq(pagoda.sha256(creq), "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59")
    T.eq(sts, "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n"
      .. "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59")
    T.ok(auth:find("Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7$"), auth)
  end,
  ["Alibaba Cloud RPC: the DescribeRegions example"] = function()
    local sig, sts = sign.aliyun_rpc("GET", { Timestamp = "2016-02-23T12:46:24Z", Format = "XML",
      AccessKeyId = "testid", Action = "DescribeRegions", SignatureMethod = "HMAC-SHA1",
      SignatureNonce = "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", Version = "2014-05-26",
      SignatureVersion = "1.0" }, "testsecret")
    T.eq(sts, "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1"
      .. "%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0"
      .. "%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26")
    T.eq(sig, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=")
  end,
  ["Alibaba Cloud DNS: the DescribeDomainRecords example"] = function()
    local sig = sign.aliyun_rpc("GET", { Format = "XML", AccessKeyId = "testid", Action = "DescribeDomainRecords",
      SignatureMethod = "HMAC-SHA1", DomainName = "example.com", SignatureNonce = "f59ed6a9-83fc-473b-9cc6-99c95df3856e",
      SignatureVersion = "1.0", Version = "2015-01-09", Timestamp = "2016-03-24T16:41:54Z" }, "testsecret")
    T.eq(sig, "uRpHwaSEt3J+6KQD//svCh/x+pI=")
  end,
  ["Tencent Cloud TC3: the DescribeInstances example"] = function()
    local req = { host = "cvm.tencentcloudapi.com", service = "cvm", action = "DescribeInstances",
      payload = '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}',
      timestamp = 1551113065, secret_id = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
      secret_key = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE" }
    T.eq(pagoda.sha256(req.payload), "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064")
    local auth, creq = sign.tc3(req)
    T.eq(pagoda.sha256(creq), "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031")
    T.eq(auth, "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, "
      .. "SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168")
    -- the current documentation also signs x-tc-action (key and id masked)
    req.sign_action, req.secret_key, req.secret_id = true, string.rep("*", 32), "AKID" .. string.rep("*", 32)
    auth, creq = sign.tc3(req)
    T.eq(pagoda.sha256(creq), "7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84")
    T.ok(auth:find("Signature=10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f$"), auth)
  end,
}
