"""Categories for differences between rdwh and the oracle, used by run.py --update to label new
entries of the expected-differences lists. A rule is (category, reason, test(case, rdwh, oracle));
the first rule that holds labels the entry. Categories named "oracle: ..." are places where the
oracle's Jayway (Debian's 2.0.0) is known, from current Jayway's source (2.10.0, the version
Rundeck ships), to answer otherwise than current Jayway; there rdwh follows current Jayway."""
import json
import re


def classify(case, rdwh, oracle):
    for category, reason, test in RULES:
        if test(case, rdwh, oracle):
            return category, reason
    return "unclassified", ""


def kind(a):
    return next(iter(a))


def err(a, text=""):
    return "error" in a and text in a["error"]


def value(a):
    return a.get("value")


def expr(c):
    return c["expr"]


def json_or_none(s):
    """s parsed as JSON, maps as lists of (key, value) pairs so their order counts; None when not JSON."""
    try:
        return json.loads(s, object_pairs_hook=list)
    except (TypeError, ValueError):
        return None


def json_same_but_text(r, o):
    """Both values are JSON, equal as data (numbers by value, members in the same order), but written differently."""
    a, b = json_or_none(value(r)), json_or_none(value(o))
    return a is not None and b is not None and a == b and value(r) != value(o)


RDWH_1E20 = "100000000000000000000.0"


def filt(c):
    return "[?(" in expr(c)


def template_root(c):
    return c["kind"] == "template" and c["expr"].startswith("$") and not c["expr"].startswith("\\")


RULES = [
    # --- JsonPath ---------------------------------------------------------------------------
    ("functions/operators", "rdwh refuses Jayway's path functions (length(), min(), max(), avg(), sum(), stddev(), "
     "keys(), first(), last()...) and the filter operators contains, size, subsetof, anyof, noneof, empty; current "
     "Jayway (2.1.0 on; Rundeck ships 2.10.0) evaluates them. Debian's Jayway 2.0.0 cannot, so the oracle has no value "
     "to check rdwh's against once they are implemented.",
     lambda c, r, o: "unsupported" in o and err(r)),
    ("oracle: Jayway 2.0.0 lacks in/nin", "Debian's Jayway 2.0.0 cannot parse the in/nin filter operators (Jayway "
     "2.1.0 added them; Rundeck ships 2.10.0); rdwh evaluates them, but the oracle cannot check its answer.",
     lambda c, r, o: "unsupported" in o),
    ("regex dialect", "rdwh's regular expressions (std::regex ECMAScript) reject Java's inline flags such as (?i); "
     "Jayway compiles filter regexes with java.util.regex.",
     lambda c, r, o: err(r, "regex")),
    ("filter JSON literals", "rdwh refuses a JSON list or map literal as a filter operand (@.tags == [\"a\"]); current "
     "Jayway compares JSON values (2.0.0, the oracle, never matches them).",
     lambda c, r, o: err(r, "a list is only allowed")),
    ("['a','b'] map", "Jayway's multi-name selection ['a','b'] yields a map of those members (missing ones left "
     "out); rdwh yields a list of the values.",
     lambda c, r, o: re.search(r"\['[^']*'\s*,", expr(c)) and not filt(c) and (value(o) or "").startswith("{")),
    ("oracle: Jayway 2.0.0 escaped quote", "Jayway 2.0.0 does not unescape \\' in a bracketed name; current "
     "Jayway does, as rdwh.",
     lambda c, r, o: "\\'" in expr(c)),
    # --- conditions ---------------------------------------------------------------------------
    ("exists on empty lists", "A path that can select several values (wildcard, filter, deep scan) yields a list, "
     "empty when nothing matches; Rundeck's exists tests non-null, and an empty list is not null. rdwh says false.",
     lambda c, r, o: c["kind"] == "condition" and c["condition"] == "exists" and r.get("satisfied") is False
     and (o.get("satisfied") is True or err(o, "NumberFormatException"))),  # see "number vs text" below
    ("contains on a list compares text", "contains on a list field: Rundeck uses List.contains(value), which needs "
     "an element equal to the value as a String; rdwh compares each element as text (1 equals \"1\", a map its JSON). "
     "Deliberate: text is what users type.",
     lambda c, r, o: c["kind"] == "condition" and c["condition"] == "contains" and r.get("satisfied") is True
     and o.get("satisfied") is False),
    ("beyond Rundeck: now", "rdwh takes now, now-15m... as date condition values (the host clock); Rundeck takes "
     "only date-times and epoch numbers.",
     lambda c, r, o: c["kind"] == "condition" and c["value"].startswith("now")),
    ("number formatting", "JSON output of decimals: rdwh writes 1e20 as 100000000000000000000.0; Jackson writes "
     "the double as Java prints it (1.0E20).",
     lambda c, r, o: json_same_but_text(r, o)),
    ("top-level key order", "Rundeck parses the body into a java.util.HashMap (ObjectMapper.readValue(body, "
     "HashMap)), so the members of the top-level object come in hash order in $, $.*, $..* and ${data}; rdwh keeps "
     "the body's order. PagerDuty bodies have one top-level member (event or messages), so this never shows on them.",
     lambda c, r, o: c["doc"] in ("docs-example", "edge") and value(r) is not None and value(o) is not None
     and sorted(value(r).replace(RDWH_1E20, "1.0E20")) == sorted(value(o))),
    ("filter coercion", "Jayway compares a number with a string holding a number as numbers (@.n == '1' matches "
     "1, also in current Jayway: NumberNode.equals converts a StringNode); rdwh compares without coercion.",
     lambda c, r, o: filt(c) and (re.search(r"[=<>]=?\s*'(-?\d+(\.\d+)?|true|false)'", expr(c))
                                  or (c["doc"] == "edge" and "@.age" in expr(c)))),  # edge.json: one age is "31"
    ("oracle: Jayway 2.0.0 number vs text", "Jayway 2.0.0 throws NumberFormatException comparing a number with a "
     "non-numeric string; current Jayway treats such a string as NaN, so the filter selects nothing.",
     lambda c, r, o: err(o, "NumberFormatException")),
    ("oracle: Jayway 2.0.0 negative index", "Jayway 2.0.0 finds nothing at a negative index; current Jayway counts "
     "from the end ([-1] is the last element), as rdwh.",
     lambda c, r, o: re.search(r"\[-\d", expr(c)) and value(o) == ""),
    ("oracle: Jayway 2.0.0 index list", "Jayway 2.0.0 raises PathNotFound when an index of an index list ([0,1]) "
     "or a slice is out of range; current Jayway returns the list of what it found, as rdwh.",
     lambda c, r, o: re.search(r"\[\d+(,\d+)+\]|\[-?\d*:-?\d*\]", expr(c)) and value(o) == ""
     and (value(r) or "").startswith("[")),
    ("oracle: Jayway 2.0.0 double-quoted strings", "Jayway 2.0.0 reads only single-quoted strings in filters; "
     "current Jayway takes double quotes too, as rdwh.",
     lambda c, r, o: filt(c) and '"' in expr(c)),
    ("oracle: Jayway 2.0.0 deep scan of indexes", "Jayway 2.0.0 cannot apply an index after a deep scan ($..[0]); "
     "current Jayway can. rdwh's order of the results is not checked.",
     lambda c, r, o: "..[" in expr(c)),
    ("oracle: Jayway 2.0.0 missing member after a filter", "Jayway 2.0.0 raises PathNotFound when an element a "
     "filter selected lacks the member that follows ([?(@.a)].b); current Jayway leaves that element out, as rdwh.",
     lambda c, r, o: filt(c) and re.search(r"\)\]\.\w+$", expr(c)) and value(o) == "" and (value(r) or "").startswith("[")),
    ("oracle: Jayway 2.0.0 existence filter", "[?(@.k)] in Jayway 2.0.0 leaves out elements whose k is null; current "
     "Jayway (an existence check: the member is there, REQUIRE_PROPERTIES) keeps them, as rdwh.",
     lambda c, r, o: re.search(r"\[\?\(!?@\.[\w.]+\)\]", expr(c))),
    ("oracle: Jayway 2.0.0 && and ||", "Jayway 2.0.0 splits a filter on && and || and folds it right to left with "
     "no precedence; current Jayway gives && precedence over ||, as rdwh.",
     lambda c, r, o: "&&" in expr(c) and "||" in expr(c)),
    # --- templates ------------------------------------------------------------------------------
    ("value starting with ${", "Rundeck reads any value starting with $ as JsonPath, so ${data.x} alone fails "
     "(InvalidPathException); rdwh reads a value starting with ${ as a template. Deliberate: as JsonPath it could "
     "only fail. Rundeck's documented way is a leading \\$.",
     lambda c, r, o: template_root(c) and err(o, "InvalidPathException")),
    ("missing-value rendering", "Groovy renders a missing key or index (and ?. through a missing one) as null; "
     "rdwh renders nothing.",
     lambda c, r, o: c["kind"] == "template" and value(r) is not None and value(o) is not None
     and value(o).replace("null", "") == value(r)),
    ("null parent", "Through a missing or null parent (${data.a.b} without a) Groovy throws NullPointerException and "
     "the handler fails; rdwh renders nothing.",
     lambda c, r, o: c["kind"] == "template" and err(o, "NullPointerException")),
    ("negative index on an empty list", "Groovy's list[-1] on an empty list throws; rdwh renders nothing.",
     lambda c, r, o: c["kind"] == "template" and err(o, "ArrayIndexOutOfBounds")),
    ("path() finds nothing", "path('...') that finds nothing throws PathNotFoundException in Rundeck's binding "
     "(JsonPath.read), failing the handler; rdwh renders nothing.",
     lambda c, r, o: c["kind"] == "template" and err(o, "PathNotFoundException")),
    ("scriptlets", "Groovy scriptlets (<% %>, <%= %>, <%-- --%>) run in Rundeck's SimpleTemplateEngine; rdwh passes "
     "them through as literal text, with no error.",
     lambda c, r, o: c["kind"] == "template" and "<%" in expr(c)),
    ("Groovy expressions", "Rundeck's templates are Groovy: method calls (toUpperCase(), size()), operators, "
     "literals; rdwh refuses anything beyond property access, path(), raw and webhook.* at config load.",
     lambda c, r, o: c["kind"] == "template" and err(r) and not err(o)),
    ("leading \\$", "A value starting with \\$: rdwh drops the backslash and renders the rest as a template; Rundeck "
     "hands the text to Groovy unchanged (the prototype's startsWith('\\$') is startsWith('$') in Groovy), where \\$ "
     "is an escaped dollar, so ${...} after it stays literal text.",
     lambda c, r, o: c["kind"] == "template" and expr(c).startswith("\\$")),
    ("Groovy escapes", "In a Groovy template \\n, \\\\ and \\$ are escapes (a newline, a backslash, a dollar); rdwh "
     "keeps backslashes other than \\$ as they are.",
     lambda c, r, o: c["kind"] == "template" and "\\" in expr(c)),
    ("Groovy keywords", "$data.n.int: a Java keyword (int, long...) after a dot is a Groovy syntax error; rdwh reads "
     "it as a member name.",
     lambda c, r, o: c["kind"] == "template" and err(o, "Failed to parse template")
     and re.search(r"\.(int|long|short|byte|char|float|double|boolean|void)\b", expr(c))),
    ("lone $", "A $ not followed by a name or { is a Groovy template syntax error; rdwh keeps it as text.",
     lambda c, r, o: c["kind"] == "template" and err(o, "Failed to parse template")),
    ("beyond Rundeck: webhook.name and headers", "rdwh's webhook map also has name and request headers; Rundeck's "
     "has id, project, sender, timestamp (and the headers a plugin copies), so others render null.",
     lambda c, r, o: c["kind"] == "template" and "webhook" in expr(c) and value(o) is not None
     and "null" in value(o)),
]

