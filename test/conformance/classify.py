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
    ("oracle: Jayway 2.0.0 lacks functions and newer operators", "Debian's Jayway 2.0.0 cannot parse path functions "
     "(length(), min(), max(), avg(), sum(), stddev(), first(), last(), keys()...) nor the filter operators in, nin, "
     "contains, size, empty, subsetof, anyof, noneof (Jayway 2.1.0 and later added them; Rundeck ships 2.10.0). rdwh "
     "evaluates them as 2.10.0 does, quirks included; test/unit/test_jsonpath_jayway.cpp checks that against 2.10.0's "
     "source, since the oracle has no answer.",
     lambda c, r, o: "unsupported" in o and not err(r, "config:")),
    ("regex dialect", "rdwh's regular expressions run on RE2 (linear time): constructs Java has and RE2 cannot run "
     "(back-references, lookaround, possessive quantifiers...) are refused at config load; Jayway uses java.util.regex.",
     lambda c, r, o: err(r, "regex")),
    ("oracle: Jayway 2.0.0 != on a missing member", "Jayway 2.10.0's != is the negation of == (NotEqualsEvaluator), and "
     "a member that is not there equals nothing (UndefinedNode), so [?(@.k != 'v')] keeps elements without k; Jayway "
     "2.0.0 leaves them out. rdwh follows 2.10.0.",
     lambda c, r, o: filt(c) and "!=" in expr(c) and (value(r) or "").startswith("[") and len(value(r) or "") > len(value(o) or "")),
    ("oracle: Jayway 2.0.0 JSON literals in filters", "Jayway 2.10.0 compares a list or map literal in a filter as JSON "
     "(JsonNode.equals: [?(@.contexts == [])] keeps an element whose contexts is empty); 2.0.0 never matches it. rdwh "
     "follows 2.10.0.",
     lambda c, r, o: filt(c) and re.search(r"(==|!=)\s*[\[{]", expr(c))),
    ("['a','b'] map", "Jayway's multi-name selection ['a','b'] yields a map of those members (missing ones left "
     "out); rdwh yields a list of the values.",
     lambda c, r, o: re.search(r"\['[^']*'\s*,", expr(c)) and not filt(c) and (value(o) or "").startswith("{")),
    ("oracle: Jayway 2.0.0 escaped quote", "Jayway 2.0.0 does not unescape \\' in a bracketed name; current "
     "Jayway does, as rdwh.",
     lambda c, r, o: re.search(r"\[\\?'[^\]]*\\'", expr(c)) and "(" not in expr(c).replace("path(", "")),
    # --- conditions ---------------------------------------------------------------------------
    ("contains on a list compares text", "contains on a list field: Rundeck uses List.contains(value), which needs "
     "an element equal to the value as a String; rdwh compares each element as text (1 equals \"1\", a map its JSON). "
     "Deliberate: text is what users type, and PagerDuty's lists hold strings or maps.",
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
    ("oracle: Jayway 2.0.0 number vs text", "Jayway 2.0.0 throws NumberFormatException comparing a number with a "
     "non-numeric string; 2.10.0 treats such a string as NaN (NumberNode.equals), so the filter selects nothing and "
     "the result is an empty list.",
     lambda c, r, o: err(o, "NumberFormatException")),
    ("oracle: Jayway 2.0.0 coerces booleans and orders mixed types", "Jayway 2.0.0 (Criteria.safeCompare) reads 'true' "
     "as the boolean true and orders a number against a numeric string; 2.10.0's BooleanNode equals only booleans and "
     "its < <= > >= compare numbers with numbers and strings with strings only. rdwh follows 2.10.0.",
     lambda c, r, o: filt(c) and (re.search(r"==\s*'(true|false)'", expr(c)) or re.search(r"[<>]=?", expr(c)))),
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
     lambda c, r, o: re.search(r"(\[\?\(|&&|\|\|)\s*!?@\.[\w.]+\s*(\)\]|&&|\|\|)", expr(c))),
    ("oracle: Jayway 2.0.0 && and ||", "Jayway 2.0.0 splits a filter on && and || and folds it right to left with "
     "no precedence; current Jayway gives && precedence over ||, as rdwh.",
     lambda c, r, o: "&&" in expr(c) and "||" in expr(c)),
    # --- templates ------------------------------------------------------------------------------
    ("value starting with ${", "Rundeck reads any value starting with $ as JsonPath, so ${data.x} alone fails "
     "(InvalidPathException); rdwh reads a value starting with ${ as a template. Deliberate: as JsonPath it could "
     "only fail. Rundeck's documented way is a leading \\$.",
     lambda c, r, o: template_root(c) and err(o, "InvalidPathException")),
    ("scriptlets", "Groovy scriptlets (<% %>, <%= %>, <%-- --%>) run as code in Rundeck's SimpleTemplateEngine; rdwh "
     "refuses them when the config is loaded, naming the rule and the field. Deliberate: rdwh does not run Groovy "
     "code (a template is data access), so a scriptlet fails up front rather than render something else.",
     lambda c, r, o: c["kind"] == "template" and "<%" in expr(c)),
    ("Groovy expressions", "Rundeck's templates are Groovy: method calls (toUpperCase(), size()), operators, "
     "literals run as code. rdwh refuses anything beyond property access, path(), raw and webhook.* when the config "
     "is loaded, naming the field. Deliberate: rdwh does not run Groovy code.",
     lambda c, r, o: c["kind"] == "template" and err(r, "config:") and not err(o)),
    ("leading \\$", "A value starting with \\$ before an expression: rdwh drops the backslash and renders the rest "
     "as a template, as Rundeck's documentation describes; Rundeck's code hands the text to Groovy unchanged, where "
     "\\$ is an escaped dollar, so ${...} after it stays literal text. Deliberate: the documented behaviour is the "
     "one users write for.",
     lambda c, r, o: c["kind"] == "template" and expr(c).startswith("\\$")),
    ("Groovy keywords", "$data.n.int: a Java keyword (int, long...) after a dot is a Groovy syntax error; rdwh reads "
     "it as a member name. PagerDuty sends no member named after a Java keyword.",
     lambda c, r, o: c["kind"] == "template" and err(o, "Failed to parse template")
     and re.search(r"\.(int|long|short|byte|char|float|double|boolean|void)\b", expr(c))),
]
