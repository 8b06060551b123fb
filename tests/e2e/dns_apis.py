"""Local stand-ins for five cloud DNS APIs (Cloudflare, DigitalOcean,
Alibaba Cloud DNS, Tencent DNSPod, Route 53) on one loopback server, each
under its own path prefix. Each checks credentials the way its provider
does, with signatures recomputed here independently of the plugins (SigV4,
Alibaba RPC 1.0, TC3-HMAC-SHA256), answers in the provider's documented
format, and publishes the records it is given into a real BIND (nsupdate),
so Pebble validates what the plugin created."""
import base64
import calendar
import hashlib
import hmac
import http.server
import itertools
import json
import re
import threading
import time
import urllib.parse
from xml.sax.saxutils import escape

CREDS = {
    "cloudflare": {"apiToken": "cf-token-SECRET1"},
    "digitalocean": {"apiToken": "do-token-SECRET2"},
    "alidns": {"accessKeyId": "LTAI5tTEST", "accessKeySecret": "ali-SECRET3"},
    "dnspod": {"secretId": "AKIDTEST", "secretKey": "tc-SECRET4"},
    "route53": {"accessKeyId": "AKIATEST", "secretAccessKey": "aws-SECRET5"},
}
PREFIX = {"cloudflare": "/cf/client/v4", "digitalocean": "/do", "alidns": "/ali", "dnspod": "/tc",
          "route53": "/r53"}


def enc(s):
    return urllib.parse.quote(s, safe="-_.~")


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def hm(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def parse_auth(value, scheme):
    """'SCHEME Credential=a/b, SignedHeaders=x;y, Signature=hex' -> dict."""
    if not value.startswith(scheme + " "):
        return None
    return dict(p.strip().split("=", 1) for p in value[len(scheme) + 1:].split(","))


def canonical(handler, signed, path, query):
    hdrs = "".join(f"{h}:{' '.join(handler.headers.get(h, '').split())}\n" for h in signed)
    q = "&".join(sorted(f"{enc(k)}={enc(v)}" for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True)))
    return hdrs, q


class Apis:
    def __init__(self, bind, zone="example.test"):
        self.bind, self.zone = bind, zone
        self.records = {}  # provider -> {id: (name, value)}
        self.r53 = {}  # name -> (ttl, [values])
        self.ids = itertools.count(1000)
        self.seen = {p: 0 for p in CREDS}  # requests with a good signature
        self.refused = {p: 0 for p in CREDS}
        self.nonces = set()
        self.lock = threading.Lock()
        apis = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _any(self, method):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                for prov, pre in PREFIX.items():
                    if self.path.startswith(pre + "/") or self.path == pre:
                        with apis.lock:
                            status, ctype, out = getattr(apis, prov)(self, method, self.path, body)
                        break
                else:
                    status, ctype, out = 404, "text/plain", b"no such API"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def do_GET(self):
                self._any("GET")

            def do_POST(self):
                self._any("POST")

            def do_DELETE(self):
                self._any("DELETE")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def endpoint(self, provider):
        return f"http://127.0.0.1:{self.port}{PREFIX[provider]}"

    def config(self, provider, **over):
        cfg = dict(CREDS[provider], endpoint=self.endpoint(provider))
        cfg.update(over)
        return cfg

    def stop(self):
        self.server.shutdown()

    def live(self, provider):
        """What the provider holds now: sorted (name, value) pairs."""
        if provider == "route53":
            return sorted((n, v) for n, (_, vs) in self.r53.items() for v in vs)
        return sorted(self.records.get(provider, {}).values())

    def _add(self, provider, name, value):
        rid = next(self.ids)
        self.records.setdefault(provider, {})[rid] = (name.rstrip("."), value)
        self.bind.update("add", name, value)
        return rid

    def _delete(self, provider, rid):
        name, value = self.records[provider].pop(rid)
        self.bind.update("delete", name, value)

    def _find(self, provider, name, value=None):
        return [{"id": rid, "name": n, "value": v} for rid, (n, v) in self.records.get(provider, {}).items()
                if n == name.rstrip(".") and (value is None or v == value)]

    # ---- Cloudflare: Bearer token; {"success", "errors", "result"}
    def cloudflare(self, h, method, path, body):
        def answer(status, result=None, error=None):
            doc = {"success": error is None, "errors": [{"code": 10000, "message": error}] if error else [],
                   "messages": [], "result": result}
            return status, "application/json", json.dumps(doc).encode()
        if h.headers.get("Authorization") != "Bearer " + CREDS["cloudflare"]["apiToken"]:
            self.refused["cloudflare"] += 1
            return answer(403, error="Authentication error")
        self.seen["cloudflare"] += 1
        u = urllib.parse.urlsplit(path[len(PREFIX["cloudflare"]):])
        q = dict(urllib.parse.parse_qsl(u.query))
        if method == "GET" and u.path == "/zones":
            return answer(200, [{"id": "023e105f4ecef8ad9ca31a8372d0c353", "name": self.zone}]
                          if q.get("name") == self.zone else [])
        m = re.fullmatch(r"/zones/023e105f4ecef8ad9ca31a8372d0c353/dns_records(?:/(\d+))?", u.path)
        if not m:
            return answer(404, error="Could not route to " + u.path)
        if method == "POST":
            rec = json.loads(body)
            if rec.get("type") != "TXT" or not rec.get("name", "").endswith(self.zone):
                return answer(400, error="Invalid DNS record")
            rid = self._add("cloudflare", rec["name"], rec["content"])
            return answer(200, {"id": str(rid), "type": "TXT", "name": rec["name"], "content": rec["content"]})
        if method == "GET":
            return answer(200, [{"id": str(r["id"]), "type": "TXT", "name": r["name"], "content": r["value"]}
                                for r in self._find("cloudflare", q.get("name", ""))])
        if method == "DELETE" and m.group(1) and int(m.group(1)) in self.records.get("cloudflare", {}):
            self._delete("cloudflare", int(m.group(1)))
            return answer(200, {"id": m.group(1)})
        return answer(404, error="Record not found")

    # ---- DigitalOcean: Bearer token; records relative to the domain
    def digitalocean(self, h, method, path, body):
        def answer(status, doc):
            return status, "application/json", json.dumps(doc).encode() if doc is not None else b""
        if h.headers.get("Authorization") != "Bearer " + CREDS["digitalocean"]["apiToken"]:
            self.refused["digitalocean"] += 1
            return answer(401, {"id": "Unauthorized", "message": "Unable to authenticate you"})
        self.seen["digitalocean"] += 1
        u = urllib.parse.urlsplit(path[len(PREFIX["digitalocean"]):])
        m = re.fullmatch(r"/v2/domains/([^/]+)/records(?:/(\d+))?", u.path)
        if not m or m.group(1) != self.zone:
            return answer(404, {"id": "not_found", "message": "The resource you requested could not be found."})
        if method == "POST":
            rec = json.loads(body)
            fq = f"{rec['name']}.{self.zone}" if rec["name"] != "@" else self.zone
            rid = self._add("digitalocean", fq, rec["data"])
            return answer(201, {"domain_record": {"id": rid, "type": "TXT", "name": rec["name"], "data": rec["data"]}})
        if method == "GET":
            q = dict(urllib.parse.parse_qsl(u.query))
            return answer(200, {"domain_records": [{"id": r["id"], "type": "TXT", "data": r["value"],
                                                    "name": r["name"][:-len(self.zone) - 1]}
                                                   for r in self._find("digitalocean", q.get("name", ""))]})
        if method == "DELETE" and m.group(2) and int(m.group(2)) in self.records.get("digitalocean", {}):
            self._delete("digitalocean", int(m.group(2)))
            return answer(204, None)
        return answer(404, {"id": "not_found", "message": "The resource you requested could not be found."})

    # ---- Alibaba Cloud DNS: RPC, signature 1.0 (HMAC-SHA1 over the sorted query)
    def alidns(self, h, method, path, body):
        def answer(status, doc):
            return status, "application/json", json.dumps(doc).encode()
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query, keep_blank_values=True))
        sig = q.pop("Signature", "")
        cq = "&".join(sorted(f"{enc(k)}={enc(v)}" for k, v in q.items()))
        want = base64.b64encode(hmac.new((CREDS["alidns"]["accessKeySecret"] + "&").encode(),
                                         f"{method}&%2F&{enc(cq)}".encode(), hashlib.sha1).digest()).decode()
        ts = q.get("Timestamp", "")
        fresh = abs(time.time() - calendar.timegm(time.strptime(ts, "%Y-%m-%dT%H:%M:%SZ"))) < 900 \
            if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", ts) else False
        nonce = q.get("SignatureNonce")
        if q.get("AccessKeyId") != CREDS["alidns"]["accessKeyId"] or not hmac.compare_digest(sig, want) \
                or not fresh or not nonce or nonce in self.nonces:
            self.refused["alidns"] += 1
            return answer(400, {"RequestId": "0", "Code": "SignatureDoesNotMatch",
                                "Message": "Specified signature is not matched with our calculation."})
        self.nonces.add(nonce)
        self.seen["alidns"] += 1
        if q.get("DomainName", self.zone) != self.zone:
            return answer(400, {"Code": "InvalidDomainName.NoExist", "Message": "The specified domain name does not exist."})
        act = q.get("Action")
        if act == "AddDomainRecord" and q.get("Type") == "TXT":
            rid = self._add("alidns", f"{q['RR']}.{self.zone}" if q["RR"] != "@" else self.zone, q["Value"])
            return answer(200, {"RequestId": "1", "RecordId": str(rid)})
        if act == "DescribeDomainRecords":
            recs = [{"RecordId": str(r["id"]), "RR": r["name"][:-len(self.zone) - 1], "Type": "TXT", "Value": r["value"],
                     "DomainName": self.zone}
                    for r in self._find("alidns", f"{q.get('RRKeyWord')}.{self.zone}")]
            return answer(200, {"RequestId": "2", "TotalCount": len(recs), "DomainRecords": {"Record": recs}})
        if act == "DeleteDomainRecord" and int(q.get("RecordId", 0)) in self.records.get("alidns", {}):
            self._delete("alidns", int(q["RecordId"]))
            return answer(200, {"RequestId": "3", "RecordId": q["RecordId"]})
        return answer(400, {"Code": "InvalidParameter", "Message": "bad request " + str(act)})

    # ---- Tencent DNSPod: API 3.0, TC3-HMAC-SHA256
    def dnspod(self, h, method, path, body):
        def answer(resp):
            resp.setdefault("RequestId", "r-1")
            return 200, "application/json", json.dumps({"Response": resp}).encode()
        a = parse_auth(h.headers.get("Authorization", ""), "TC3-HMAC-SHA256") or {}
        cred = a.get("Credential", "").split("/")
        signed = a.get("SignedHeaders", "").split(";")
        ts = h.headers.get("X-TC-Timestamp", "0")
        ok = len(cred) == 4 and cred[0] == CREDS["dnspod"]["secretId"] and "host" in signed \
            and "content-type" in signed and abs(time.time() - int(ts)) < 300
        if ok:
            hdrs, _ = canonical(h, signed, "/", "")
            creq = "\n".join(["POST", "/", "", hdrs, ";".join(signed), sha256(body)])
            day = time.strftime("%Y-%m-%d", time.gmtime(int(ts)))
            sts = "\n".join(["TC3-HMAC-SHA256", ts, f"{day}/dnspod/tc3_request", sha256(creq.encode())])
            key = hm(hm(hm(("TC3" + CREDS["dnspod"]["secretKey"]).encode(), day), "dnspod"), "tc3_request")
            ok = cred[1] == day and hmac.compare_digest(a.get("Signature", ""),
                                                         hmac.new(key, sts.encode(), hashlib.sha256).hexdigest())
        if not ok:
            self.refused["dnspod"] += 1
            return answer({"Error": {"Code": "AuthFailure.SignatureFailure",
                                     "Message": "The provided credentials could not be validated."}})
        self.seen["dnspod"] += 1
        act, req = h.headers.get("X-TC-Action"), json.loads(body)
        if req.get("Domain") != self.zone:
            return answer({"Error": {"Code": "ResourceNotFound.NoDataOfDomain", "Message": "no such domain"}})
        if act == "CreateRecord" and req.get("RecordType") == "TXT" and req.get("RecordLine") == "默认":
            sub = req["SubDomain"]
            return answer({"RecordId": self._add("dnspod", f"{sub}.{self.zone}" if sub != "@" else self.zone,
                                                 req["Value"])})
        if act == "DescribeRecordList":
            recs = [{"RecordId": r["id"], "Name": req["Subdomain"], "Type": "TXT", "Value": r["value"]}
                    for r in self._find("dnspod", f"{req['Subdomain']}.{self.zone}")]
            if not recs:
                return answer({"Error": {"Code": "ResourceNotFound.NoDataOfRecord", "Message": "no records"}})
            return answer({"RecordList": recs, "RecordCountInfo": {"TotalCount": len(recs)}})
        if act == "DeleteRecord" and req.get("RecordId") in self.records.get("dnspod", {}):
            self._delete("dnspod", req["RecordId"])
            return answer({})
        return answer({"Error": {"Code": "InvalidParameter", "Message": "bad request " + str(act)}})

    # ---- Route 53: REST + XML, Signature Version 4
    def route53(self, h, method, path, body):
        def error(status, code, msg):
            doc = (f'<?xml version="1.0"?>\n<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
                   f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{escape(msg)}</Message></Error>"
                   f"<RequestId>x</RequestId></ErrorResponse>")
            return status, "text/xml", doc.encode()
        a = parse_auth(h.headers.get("Authorization", ""), "AWS4-HMAC-SHA256") or {}
        cred = a.get("Credential", "").split("/")
        signed = a.get("SignedHeaders", "").split(";")
        amz = h.headers.get("X-Amz-Date", "")
        u = urllib.parse.urlsplit(path)
        ok = len(cred) == 5 and cred[0] == CREDS["route53"]["accessKeyId"] and cred[2:] == \
            ["us-east-1", "route53", "aws4_request"] and "host" in signed and "x-amz-date" in signed \
            and amz[:8] == cred[1]
        if ok:
            hdrs, q = canonical(h, signed, u.path, u.query)
            creq = "\n".join([method, u.path, q, hdrs, ";".join(signed), sha256(body)])
            sts = "\n".join(["AWS4-HMAC-SHA256", amz, "/".join(cred[1:]), sha256(creq.encode())])
            key = hm(hm(hm(hm(("AWS4" + CREDS["route53"]["secretAccessKey"]).encode(), cred[1]), "us-east-1"),
                        "route53"), "aws4_request")
            ok = hmac.compare_digest(a.get("Signature", ""), hmac.new(key, sts.encode(), hashlib.sha256).hexdigest())
        if not ok:
            self.refused["route53"] += 1
            return error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match "
                                                       "the signature you provided.")
        self.seen["route53"] += 1
        p = u.path[len(PREFIX["route53"]):]
        q = dict(urllib.parse.parse_qsl(u.query))
        ns = 'xmlns="https://route53.amazonaws.com/doc/2013-04-01/"'
        if method == "GET" and p == "/2013-04-01/hostedzonesbyname":
            zones = (f"<HostedZone><Id>/hostedzone/Z1PA6795UKMFR9</Id><Name>{self.zone}.</Name>"
                     f"<CallerReference>x</CallerReference><ResourceRecordSetCount>3</ResourceRecordSetCount>"
                     f"</HostedZone>") if q.get("dnsname", "").rstrip(".") <= self.zone else ""
            return 200, "text/xml", (f'<?xml version="1.0"?>\n<ListHostedZonesByNameResponse {ns}><HostedZones>'
                                     f"{zones}</HostedZones><IsTruncated>false</IsTruncated><MaxItems>1</MaxItems>"
                                     f"</ListHostedZonesByNameResponse>").encode()
        if p != "/2013-04-01/hostedzone/Z1PA6795UKMFR9/rrset":
            return error(404, "NoSuchHostedZone", "No hosted zone found with ID: " + p)
        if method == "GET":
            # sets in order from the asked name on, as Route 53 lists them
            names = sorted(n for n in self.r53 if n >= q.get("name", "").rstrip("."))[:1]
            sets = "".join(f"<ResourceRecordSet><Name>{n}.</Name><Type>TXT</Type><TTL>{self.r53[n][0]}</TTL>"
                           f"<ResourceRecords>" + "".join(f"<ResourceRecord><Value>{escape(chr(34) + v + chr(34))}"
                                                          f"</Value></ResourceRecord>" for v in self.r53[n][1])
                           + "</ResourceRecords></ResourceRecordSet>" for n in names)
            return 200, "text/xml", (f'<?xml version="1.0"?>\n<ListResourceRecordSetsResponse {ns}>'
                                     f"<ResourceRecordSets>{sets}</ResourceRecordSets><IsTruncated>false"
                                     f"</IsTruncated><MaxItems>1</MaxItems></ListResourceRecordSetsResponse>").encode()
        doc = body.decode()
        act = re.search(r"<Action>(\w+)</Action>", doc).group(1)
        name = re.search(r"<Name>(.*?)</Name>", doc).group(1).rstrip(".")
        ttl = int(re.search(r"<TTL>(\d+)</TTL>", doc).group(1))
        values = [v.replace("&quot;", '"')[1:-1] for v in re.findall(r"<Value>(.*?)</Value>", doc)]
        old = self.r53.get(name, (None, []))
        if act == "DELETE" and (old[0] != ttl or sorted(old[1]) != sorted(values)):
            return error(400, "InvalidChangeBatch", "Tried to delete resource record set but it was not found")
        if act not in ("UPSERT", "DELETE"):
            return error(400, "InvalidInput", "bad action " + act)
        for v in set(old[1]) - set(values if act == "UPSERT" else []):
            self.bind.update("delete", name, v)
        for v in set(values if act == "UPSERT" else []) - set(old[1]):
            self.bind.update("add", name, v)
        if act == "UPSERT":
            self.r53[name] = (ttl, values)
        else:
            del self.r53[name]
        return 200, "text/xml", (f'<?xml version="1.0"?>\n<ChangeResourceRecordSetsResponse {ns}><ChangeInfo>'
                                 f"<Id>/change/C1</Id><Status>PENDING</Status></ChangeInfo>"
                                 f"</ChangeResourceRecordSetsResponse>").encode()
