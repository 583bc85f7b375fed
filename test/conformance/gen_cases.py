#!/usr/bin/env python3
"""Writes the conformance cases: the documented examples (data/documented.jsonl) plus paths,
filters, functions, conditions and templates generated over every document in data/docs/.

Deterministic: the same inputs give the same cases, and a case's id is a hash of what it asks
(document, kind, expression, condition, value), so ids survive reordering and new cases.

usage: gen_cases.py DATA_DIR OUT.jsonl
"""
import hashlib
import json
import random
import re
from decimal import Decimal
import sys
from pathlib import Path

SEED = 20240501
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
GROOVY_KEYWORDS = {"class", "in", "as", "def", "if", "else", "for", "while", "new", "null", "true", "false",
                   "return", "switch", "case", "default", "import", "package", "try", "catch", "finally"}


def case_id(c):
    key = json.dumps([c["doc"], c["kind"], c["expr"], c.get("condition", ""), c.get("value", "")])
    return "%s:%s:%s" % (c["doc"], c["kind"], hashlib.sha1(key.encode()).hexdigest()[:10])


def walk(value, tokens=()):
    """Every node of a JSON document with the tokens leading to it (keys and indexes)."""
    yield tokens, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, tokens + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, tokens + (i,))


def quote(key):
    return "'" + key.replace("\\", "\\\\").replace("'", "\\'") + "'"


def dot_path(tokens):
    out = "$"
    for t in tokens:
        if isinstance(t, int):
            out += "[%d]" % t
        elif IDENT.match(t):
            out += "." + t
        else:
            out += "[" + quote(t) + "]"
    return out


def bracket_path(tokens):
    return "$" + "".join("[%d]" % t if isinstance(t, int) else "[" + quote(t) + "]" for t in tokens)


def groovy_ref(tokens):
    """data.a.b[0] as a Groovy property expression."""
    out = "data"
    for t in tokens:
        if isinstance(t, int):
            out += "[%d]" % t
        elif IDENT.match(t) and t not in GROOVY_KEYWORDS:
            out += "." + t
        else:
            out += "[" + quote(t) + "]"
    return out


def java_text(v):
    """The field as text the way a JVM prints it (enough to pick values that should match)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return java_double(v)
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"), ensure_ascii=False)
    return str(v)


def java_double(v):
    """Double.toString: plain between 10^-3 and 10^7, else d.dddEn (shortest digits)."""
    r = repr(v)
    if v == 0 or 1e-3 <= abs(v) < 1e7:
        return r
    sign, digits, exponent = Decimal(r).normalize().as_tuple()
    text = "".join(map(str, digits))
    return "%s%s.%sE%d" % ("-" if sign else "", text[0], text[1:] or "0", len(digits) + exponent - 1)


def literal(v):
    if isinstance(v, str):
        return quote(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    return json.dumps(v)


class Generator:
    def __init__(self, rng):
        self.rng = rng
        self.cases = []

    def add(self, doc, kind, expr, condition=None, value=None, source="generated"):
        c = {"doc": doc, "kind": kind, "expr": expr, "source": source}
        if kind == "condition":
            c["condition"] = condition
            c["value"] = value
        self.cases.append(c)

    def sample(self, items, n):
        items = list(items)
        return items if len(items) <= n else self.rng.sample(items, n)

    def paths(self, doc, root, nodes):
        for tokens, v in self.sample(nodes, 70):
            self.add(doc, "path", dot_path(tokens))
            if tokens and self.rng.random() < 0.4:
                self.add(doc, "path", bracket_path(tokens))
            if isinstance(v, dict):
                self.add(doc, "path", dot_path(tokens) + ".nope")
                self.add(doc, "path", dot_path(tokens) + ".nope.deeper")
                self.add(doc, "path", dot_path(tokens) + ".*")
                keys = [k for k in v if "'" not in k]
                if len(keys) >= 2:
                    pick = self.sample(keys, 2)
                    self.add(doc, "path", dot_path(tokens) + "[" + ",".join(quote(k) for k in pick) + "]")
                    self.add(doc, "path", dot_path(tokens) + "[" + quote(pick[0]) + ",'nope']")
            if isinstance(v, list):
                for suffix in ("[0]", "[-1]", "[99]", "[0:2]", "[:1]", "[-2:]", "[1:]", "[0,1]", "[*]", "[*].id", "[-9]"):
                    self.add(doc, "path", dot_path(tokens) + suffix)
            if isinstance(v, str) and tokens:
                self.add(doc, "path", dot_path(tokens) + ".nope")
        keys = sorted({t[-1] for t, _ in nodes if t and isinstance(t[-1], str) and IDENT.match(t[-1])})
        for k in self.sample(keys, 12):
            self.add(doc, "path", "$.." + k)
        self.add(doc, "path", "$..nope")
        self.add(doc, "path", "$.*")
        self.add(doc, "path", "$[*]")
        if len(json.dumps(root)) < 4000:
            self.add(doc, "path", "$..*")
            self.add(doc, "path", "$..[0]")

    def filters(self, doc, nodes):
        arrays = [(t, v) for t, v in nodes if isinstance(v, list) and v and all(isinstance(e, dict) for e in v)]
        for tokens, arr in self.sample(arrays, 8):
            base = dot_path(tokens)
            keys = sorted({k for e in arr for k in e if IDENT.match(k)})
            for k in self.sample(keys, 6):
                values = [e[k] for e in arr if k in e]
                v = values[0] if values else None
                f = lambda cond, tail="": self.add(doc, "path", base + "[?(" + cond + ")]" + tail)
                other = self.rng.choice([k2 for k2 in keys if k2 != k] or [k])
                f("@." + k)
                f("!@." + k)
                f("@." + k, "." + other)
                if isinstance(v, str):
                    f("@.%s == %s" % (k, quote(v)))
                    f("@.%s == %s" % (k, quote(v)), "." + other)
                    f("@.%s == \"%s\"" % (k, v.replace("\\", "\\\\").replace('"', '\\"')))
                    f("@.%s != %s" % (k, quote(v)))
                    f("%s == @.%s" % (quote(v), k))
                    f("@.%s > 'm'" % k)
                    f("@.%s <= %s" % (k, quote(v)))
                    prefix = re.escape(v[:3]) if v else ""
                    f("@.%s =~ /%s.*/" % (k, prefix))
                    f("@.%s =~ /%s.*/i" % (k, prefix.upper()))
                    f("@.%s =~ /(?i)%s.*/" % (k, prefix.upper()))
                    f("@.%s =~ /%s/" % (k, prefix))
                    f("@.%s in [%s, 'zz']" % (k, quote(v)))
                    f("@.%s nin [%s]" % (k, quote(v)))
                    f("@.%s contains %s" % (k, quote(v[1:3])))
                    f("@.%s size %d" % (k, len(v)))
                    f("@.%s empty false" % k)
                    f("@.%s == %s && @.%s" % (k, quote(v), other))
                    f("@.%s == 'zz' || @.%s" % (k, other))
                    f("@.%s == 'zz' || @.%s == %s && @.%s" % (k, k, quote(v), other))
                    f("@.%s == %s || @.%s && @.%s == 'zz'" % (k, quote(v), other, k))
                elif isinstance(v, bool):
                    f("@.%s == %s" % (k, literal(v)))
                    f("@.%s != true" % k)
                    f("@.%s == '%s'" % (k, literal(v)))
                elif isinstance(v, (int, float)):
                    f("@.%s == %s" % (k, literal(v)))
                    f("@.%s == '%s'" % (k, literal(v)))
                    f("@.%s > %s" % (k, literal(v - 1)))
                    f("@.%s >= %s" % (k, literal(v)))
                    f("@.%s < %s" % (k, literal(v)))
                    f("@.%s <= %s.0" % (k, literal(int(v))))
                    f("@.%s != %s" % (k, literal(v)))
                    f("@.%s in [%s, 99]" % (k, literal(v)))
                    f("@.%s > $.nope" % k)
                elif isinstance(v, list):
                    first = v[0] if v else "a"
                    f("@.%s contains %s" % (k, literal(first)))
                    f("@.%s subsetof ['a', 'b', 'db', 'prod']" % k)
                    f("@.%s anyof [%s]" % (k, literal(first)))
                    f("@.%s noneof ['zz']" % k)
                    f("@.%s size %d" % (k, len(v)))
                    f("@.%s empty true" % k)
                    f("@.%s == %s" % (k, json.dumps(v)))
                elif v is None:
                    f("@.%s == null" % k)
                    f("@.%s != null" % k)
                elif isinstance(v, dict):
                    sub = sorted(v)[0] if v else "x"
                    f("@.%s.%s" % (k, sub) if IDENT.match(sub) else "@." + k)

    def functions(self, doc, nodes):
        lists = [(t, v) for t, v in nodes if isinstance(v, list)]
        for tokens, v in self.sample(lists, 8):
            base = dot_path(tokens)
            for fn in ("length()", "size()", "min()", "max()", "avg()", "sum()", "stddev()", "first()", "last()"):
                self.add(doc, "path", base + "." + fn)
            self.add(doc, "path", base + "[*].length()")
        strings = [(t, v) for t, v in nodes if isinstance(v, str) and t]
        for tokens, v in self.sample(strings, 3):
            self.add(doc, "path", dot_path(tokens) + ".length()")
        maps = [(t, v) for t, v in nodes if isinstance(v, dict) and v]
        for tokens, v in self.sample(maps, 2):
            self.add(doc, "path", dot_path(tokens) + ".keys()")
            self.add(doc, "path", dot_path(tokens) + ".length()")

    def conditions(self, doc, nodes):
        for tokens, v in self.sample([n for n in nodes if n[0]], 45):
            p = dot_path(tokens)
            text = java_text(v)
            c = lambda cond, value, path=p: self.add(doc, "condition", path, cond, value)
            c("equals", text)
            c("equals", "zz")
            c("exists", ".")
            c("isA", {str: "string", bool: "boolean", type(None): "null", dict: "map", list: "list"}.get(type(v), "number"))
            c("isA", self.rng.choice(["string", "number", "map", "list", "null"]))
            if isinstance(v, str) and len(v) > 2:
                c("contains", v[1:-1])
                c("contains", v.upper())
            if isinstance(v, list):
                if v:
                    c("contains", java_text(v[0]))
                c("contains", "zz")
                c("exists", ".", p + "[*]")
                c("isA", "list", p + "[*]")
                c("contains", "b", p + "[*]")
            if isinstance(v, dict):
                c("contains", "id")
                c("exists", ".", p + ".nope")
                c("isA", "null", p + ".nope")
                c("equals", "null", p + ".nope")
                c("exists", ".", p + ".nope.deeper")
                c("isA", "null", p + ".nope.deeper")
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                c("contains", text[:1])
                c("dateTimeAfter", "2000-01-01T00:00:00Z")
            if isinstance(v, str) and re.match(r"^\d{4}-\d\d-\d\d", v):
                for when in ("2000-01-01T00:00:00Z", "2024-05-01T12:00:00Z", "2100-01-01T00:00:00+02:00", "1714564800",
                             "1714564800000", "2024-05-01T10:00:00Z[Europe/Paris]", "now"):
                    c("dateTimeAfter", when)
                    c("dateTimeBefore", when)
            if len(tokens) >= 1 and isinstance(tokens[0], str) and IDENT.match(tokens[0]) and self.rng.random() < 0.2:
                c("equals", text, p[2:])  # the same path without "$.", as Terraform writes them
        arrays = [(t, v) for t, v in nodes if isinstance(v, list) and v and all(isinstance(e, dict) for e in v)]
        for tokens, arr in self.sample(arrays, 4):
            keys = sorted({k for e in arr for k in e if IDENT.match(k)})
            for k in self.sample(keys, 3):
                p = dot_path(tokens) + "[?(@.%s)].%s" % (k, k)
                self.add(doc, "condition", p, "exists", ".")
                self.add(doc, "condition", p, "isA", "list")
                self.add(doc, "condition", p, "contains", java_text(arr[0].get(k)))
                self.add(doc, "condition", dot_path(tokens) + "[?(@.%s == 'zz')]" % k, "exists", ".")
        self.add(doc, "condition", "$.nope", "exists", ".")
        self.add(doc, "condition", "$.nope", "isA", "null")
        self.add(doc, "condition", "$.nope", "equals", "")
        self.add(doc, "condition", "$.nope.deeper", "contains", "")
        self.add(doc, "condition", "", "equals", "anything")
        self.add(doc, "condition", "$", "isA", "map")
        self.add(doc, "condition", "$..id", "isA", "list")

    def templates(self, doc, nodes):
        # Most templates start with text: one starting with "$" is JsonPath to Rundeck (a few such
        # cases cover that rule; more would only repeat it).
        t = lambda expr: self.add(doc, "template", "v=" + expr)
        for tokens, v in self.sample([n for n in nodes if n[0]], 45):
            ref = groovy_ref(tokens)
            if self.rng.random() < 0.1:
                self.add(doc, "template", "${%s}" % ref)
            t("${%s}" % ref)
            if all(isinstance(x, str) and IDENT.match(x) and x not in GROOVY_KEYWORDS for x in tokens):
                t("$%s" % ref)
            t("${path(%s)}" % quote(dot_path(tokens)))
            if isinstance(v, dict):
                t("${%s.nope}" % ref)
                t("${%s.nope.deeper}" % ref)
                t("${%s?.nope?.deeper}" % ref)
            if isinstance(v, list):
                t("${%s[0]}" % ref)
                t("${%s[-1]}" % ref)
                t("${%s[99]}" % ref)
                t("${%s.size()}" % ref)
                keys = sorted({k for e in v if isinstance(e, dict) for k in e if IDENT.match(k)})
                for k in self.sample(keys, 2):  # a member of a list: Groovy's GPath spreads it
                    t("${%s.%s}" % (ref, k))
                t("${%s.nope}" % ref)
            if isinstance(v, str):
                t("${%s.toUpperCase()}" % ref)
                t("${%s[0]}" % ref)  # a character
                t("${%s[-1]}" % ref)
            if v is None:
                t("${%s.deeper}" % ref)
        for expr in ("${data.nope}", "${data.nope.deeper}", "${path('$.nope')}", "${path('$..id')}", "${path('$')}",
                     "${raw.length()}", "${webhook.id}/${webhook.project}/${webhook.sender}/${webhook.timestamp}",
                     "${webhook.nope}", "${'literal'}", "${1 + 1}", "${data == null}", "$data", "${data}",
                     "${ data.nope }", "${data?.nope}", "${data['nope']}", "$nope", "${", "${data", "$"):
            t(expr)
        for expr in ("tab\\there", "octal\\101", "e\\u00e9", "C:\\dir", "quote \\' and \\\"", "ends\\"):
            self.add(doc, "template", expr)  # Groovy's escapes in a template's text
        for expr in ("plain text", "", "50$", "a $ b", "\\$", "\\${data.nope}", "$$", "\\\\", "line\\nbreak",
                     "quote \" and ' marks", "<%= data.keySet().size() %>", "<% if (data) { %>yes<% } else { %>no<% } %>",
                     "<% def x = 1 %>${x}", "<%-- comment --%>", "<% out << 'written' %>", "}", "${raw}", "$data.nope"):
            self.add(doc, "template", expr)


def main():
    data_dir, out_path = Path(sys.argv[1]), Path(sys.argv[2])
    gen = Generator(random.Random(SEED))
    for line in (data_dir / "documented.jsonl").read_text().splitlines():
        if line.strip():
            gen.cases.append(json.loads(line))
    for doc_file in sorted((data_dir / "docs").glob("*.json")):
        doc = doc_file.stem
        root = json.loads(doc_file.read_text())
        nodes = list(walk(root))
        gen.paths(doc, root, nodes)
        gen.filters(doc, nodes)
        gen.functions(doc, nodes)
        gen.conditions(doc, nodes)
        gen.templates(doc, nodes)
    seen = set()
    with open(out_path, "w") as out:
        for c in gen.cases:
            c["id"] = case_id(c)
            if c["id"] in seen:
                continue
            seen.add(c["id"])
            out.write(json.dumps(c, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
