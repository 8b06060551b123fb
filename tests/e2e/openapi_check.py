"""Validation of real answers against docs/openapi.yaml: the operation is
found from the method and path, its documented schema for the status (or
the default Error answer) is checked with jsonschema (draft 2020-12, the
dialect of OpenAPI 3.1)."""
import json
import os
import re

import jsonschema
import yaml

DOC_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "openapi.yaml")


def load_doc():
    with open(DOC_PATH) as f:
        return yaml.safe_load(f)


class Checker:
    def __init__(self, doc=None):
        self.doc = doc or load_doc()
        self.ops = []
        for path, methods in self.doc["paths"].items():
            rx = re.compile("^" + re.sub(r"\{\w+\}", r"[^/]+", re.escape(path).replace(r"\{", "{").replace(r"\}", "}")) + "$")
            for method, op in methods.items():
                self.ops.append((method.upper(), rx, path, op))
        self.checked = set()
        self._validators = {}

    def operation(self, method, url_path):
        path = url_path.split("?")[0]
        # the most specific template wins: fewest parameters
        hits = [(p.count("{"), p, op) for m, rx, p, op in self.ops if m == method and rx.match(path)]
        if not hits:
            return None, None
        _, p, op = min(hits)
        return p, op

    def schema_of(self, op, status):
        resp = (op["responses"].get(str(status)) or op["responses"].get(f"{status // 100}XX")
                or op["responses"].get("default"))
        if resp is None:
            return None, False
        if "$ref" in resp:
            resp = self.doc["components"]["responses"][resp["$ref"].split("/")[-1]]
        content = resp.get("content") or {}
        media = content.get("application/json")
        return (media or {}).get("schema"), bool(content)

    def check_request(self, method, url_path, body):
        """A request body pagodad accepted must match the documented input:
        raises AssertionError when it does not."""
        p, op = self.operation(method, url_path)
        schema = (((op or {}).get("requestBody") or {}).get("content") or {}).get("application/json", {}).get("schema")
        if schema is None or body is None:
            return
        self._validate(schema, body, f"{method} {url_path} request")

    def _validate(self, schema, instance, what):
        v = self._validators.get(id(schema))
        if v is None:
            v = self._validators[id(schema)] = jsonschema.Draft202012Validator(dict(schema, components=self.doc["components"]))
        try:
            v.validate(instance)
        except jsonschema.ValidationError as e:
            where = "/".join(str(x) for x in e.absolute_path)
            raise AssertionError(f"{what}: {e.message} at /{where}") from None

    def check(self, method, url_path, status, body_text):
        """Raises AssertionError when the answer does not match the document."""
        head = method == "HEAD"  # every GET route answers HEAD, without a body (RFC 9110)
        p, op = self.operation("GET" if head else method, url_path)
        if op is None and status == 405:
            return  # a method the path does not have: refused, with Allow
        if op is None:
            raise AssertionError(f"{method} {url_path} is not in docs/openapi.yaml")
        documented = str(status) in op["responses"] or status >= 400
        if not documented:
            raise AssertionError(f"{method} {p} answered {status}, not documented ({list(op['responses'])})")
        if head:
            return
        schema, has_body = self.schema_of(op, status)
        self.checked.add((method, p, status))
        if schema is None:
            return
        self._validate(schema, json.loads(body_text) if body_text else None, f"{method} {url_path} {status}")
