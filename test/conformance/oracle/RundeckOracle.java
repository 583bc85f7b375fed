// The conformance oracle: applies a JsonPath, a condition or a template to a JSON document with
// the libraries Rundeck is built on (Jayway JsonPath, Jackson, Groovy's SimpleTemplateEngine), the
// way Rundeck's webhook handlers use them, and prints what Rundeck would produce.
//
// Input (standard input, one JSON object a line):
//   {"id": "...", "kind": "path"|"template"|"condition", "doc": "name", "expr": "...",
//    "condition": "equals", "value": "..."}          (condition and value: kind condition only)
// The document is DOCS/<doc>.json. Output (standard output, one line per case, in input order):
//   {"id": "...", "value": "..."}         a path or template renders this text
//   {"id": "...", "satisfied": bool}      a condition holds or not
//   {"id": "...", "error": "..."}         the handler fails on it (a bad path or template)
//   {"id": "...", "unsupported": "..."}   Debian's Jayway 2.0.0 lacks the syntax current Jayway has
//
// How each handler step is reproduced (rundeck/rundeck: the routing-rule prototype of 2019, which
// became Rundeck Enterprise's engine, and grails-webhooks' JobRunWebhookEventPlugin, the OSS Run Job):
// - the body is parsed by Jackson's ObjectMapper into a HashMap (numbers: Integer, Long,
//   BigInteger, Double);
// - an option value starting with '$' is JsonPath, read with Jayway's default configuration;
//   lists and maps are written as JSON by Jackson, anything else with toString() (null: "null"),
//   and a path that finds nothing (PathNotFoundException) gives "";
// - any other value is a Groovy SimpleTemplateEngine template, unchanged (a leading "\$" is
//   Groovy's escaped dollar), bound to data (the parsed body), raw (the body text), webhook
//   (id, project, sender, timestamp) and path(p) (JsonPath.read of the body); a template that
//   does not compile or fails while rendering is an error;
// - a condition reads its path with Option.DEFAULT_PATH_LEAF_TO_NULL (a missing leaf is null; a
//   missing parent is null too) and tests the value as Rundeck's documentation describes:
//   equals (the field as text: lists and maps as JSON), contains (a list: List.contains of the
//   text; else a substring of the field as text), exists (not null), isA (string, number, map,
//   list, null), dateTimeAfter/dateTimeBefore (ISO_DATE_TIME with a zone or offset,
//   ISO_INSTANT, or Unix epoch: seconds, or milliseconds when seconds would be year 2970 or
//   later). A condition value that is no date, or an isA type outside that list, is an error.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.jayway.jsonpath.Configuration;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.Option;
import com.jayway.jsonpath.PathNotFoundException;
import groovy.lang.Closure;
import groovy.text.SimpleTemplateEngine;
import groovy.text.Template;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public final class RundeckOracle {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Configuration CONDITION_CONFIG =
            Configuration.defaultConfiguration().addOptions(Option.DEFAULT_PATH_LEAF_TO_NULL);
    private static final List<String> IS_A_TYPES = Arrays.asList("string", "number", "map", "list", "null");

    // Syntax current Jayway (2.1.0 onwards; Rundeck ships 2.10.0) evaluates and 2.0.0 cannot parse:
    // path functions and the inline filter operators beyond == != < <= > >= =~.
    private static final Pattern FUNCTION =
            Pattern.compile("\\.(length|size|min|max|avg|stddev|sum|keys|concat|append|first|last|index)\\s*\\(");
    private static final Pattern NEW_OPERATOR =
            Pattern.compile("\\s(in|nin|subsetof|anyof|noneof|contains|size|empty)\\s");

    private final Path docsDir;
    private final Map<String, String> webhook = new HashMap<>();
    private final Map<String, Object[]> docs = new HashMap<>(); // name -> {raw text, parsed HashMap}
    private final Map<String, Template> templates = new HashMap<>();
    private final SimpleTemplateEngine engine = new SimpleTemplateEngine();

    private RundeckOracle(Path docsDir, String id, String project, String sender, String timestamp) {
        this.docsDir = docsDir;
        webhook.put("id", id);
        webhook.put("project", project);
        webhook.put("sender", sender);
        webhook.put("timestamp", timestamp);
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) opts.put(args[i], args[i + 1]);
        if (!opts.containsKey("--docs")) {
            System.err.println("usage: RundeckOracle --docs DIR [--webhook-id ID] [--project P] [--sender S] [--timestamp MS] < cases.jsonl");
            System.exit(2);
        }
        RundeckOracle oracle = new RundeckOracle(Paths.get(opts.get("--docs")),
                opts.getOrDefault("--webhook-id", ""), opts.getOrDefault("--project", ""),
                opts.getOrDefault("--sender", ""), opts.getOrDefault("--timestamp", "0"));
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            if (line.isBlank()) continue;
            JsonNode c = MAPPER.readTree(line);
            ObjectNode result = MAPPER.createObjectNode();
            result.put("id", c.path("id").asText());
            oracle.answer(c, result);
            out.println(MAPPER.writeValueAsString(result));
        }
        out.flush();
    }

    private void answer(JsonNode c, ObjectNode result) throws IOException {
        String kind = c.path("kind").asText();
        String expr = c.path("expr").asText();
        Object[] doc = document(c.path("doc").asText());
        String unsupported = kind.equals("template") ? null : post20Syntax(expr);
        if (unsupported != null) {
            result.put("unsupported", unsupported);
            return;
        }
        try {
            if (kind.equals("condition")) {
                result.put("satisfied", condition(c.path("condition").asText(), expr, c.path("value").asText(),
                        (Map<?, ?>) doc[1]));
            } else {
                result.put("value", value(expr, (String) doc[0], (Map<?, ?>) doc[1]));
            }
        } catch (Exception | StackOverflowError e) {
            result.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private Object[] document(String name) throws IOException {
        Object[] doc = docs.get(name);
        if (doc == null) {
            String raw = new String(Files.readAllBytes(docsDir.resolve(name + ".json")), StandardCharsets.UTF_8);
            doc = new Object[]{raw, MAPPER.readValue(raw, HashMap.class)}; // as Rundeck: readValue(body, HashMap)
            docs.put(name, doc);
        }
        return doc;
    }

    // Which Jayway 2.1+ syntax the path uses, or null. Quoted strings and /regex/ literals are
    // blanked first so their text cannot look like an operator.
    static String post20Syntax(String path) {
        String bare = path.replaceAll("'(\\\\.|[^'\\\\])*'", "''").replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"")
                .replaceAll("=~\\s*/(\\\\.|[^/\\\\])*/", "=~ //");
        Matcher f = FUNCTION.matcher(bare);
        if (f.find()) return "path function " + f.group(1) + "() (Jayway 2.1.0+)";
        Matcher o = NEW_OPERATOR.matcher(bare);
        if (bare.contains("[?") && o.find()) return "filter operator " + o.group(1) + " (Jayway 2.1.0+)";
        return null;
    }

    // An option value, node filter or user as Rundeck renders it.
    private String value(String expr, String raw, Map<?, ?> data) throws Exception {
        if (expr.startsWith("$")) {
            try {
                Object v = JsonPath.read(data, expr);
                return (v instanceof List || v instanceof Map) ? MAPPER.writeValueAsString(v) : String.valueOf(v);
            } catch (PathNotFoundException e) {
                return "";
            }
        }
        Template t = templates.get(expr);
        if (t == null) {
            t = engine.createTemplate(expr);
            templates.put(expr, t);
        }
        Map<String, Object> binding = new HashMap<>();
        binding.put("data", data);
        binding.put("raw", raw);
        binding.put("webhook", webhook);
        binding.put("path", new PathFunction(data));
        return t.make(binding).toString();
    }

    // path('...') inside a template: JsonPath.read of the event, as the prototype binds it.
    public static final class PathFunction extends Closure<Object> {
        private static final long serialVersionUID = 1L;
        private final transient Map<?, ?> data;

        PathFunction(Map<?, ?> data) {
            super(null);
            this.data = data;
        }

        public Object doCall(String path) {
            return JsonPath.read(data, path);
        }
    }

    private static boolean condition(String type, String path, String value, Map<?, ?> data) throws Exception {
        if (path.isEmpty()) return true; // Rundeck: a condition without a path holds
        Object field;
        try {
            field = JsonPath.using(CONDITION_CONFIG).parse(data).read(path);
        } catch (PathNotFoundException e) {
            field = null;
        }
        switch (type) {
            case "equals":
            case "matches":
                return field != null && text(field).equals(value);
            case "contains":
                if (field == null) return false;
                if (field instanceof List) return ((List<?>) field).contains(value);
                return text(field).contains(value);
            case "exists":
                return field != null;
            case "isA":
                if (!IS_A_TYPES.contains(value)) throw new IllegalArgumentException("isA value must be in " + IS_A_TYPES);
                return typeName(field).equals(value);
            case "dateTimeAfter":
            case "dateTimeBefore": {
                Instant limit = dateTime(value);
                if (limit == null) throw new IllegalArgumentException("not a date-time: " + value);
                Instant at = field == null ? null : dateTime(field instanceof String ? (String) field : text(field));
                if (at == null) return false;
                return type.equals("dateTimeAfter") ? at.isAfter(limit) : at.isBefore(limit);
            }
            default:
                throw new IllegalArgumentException("unknown condition " + type);
        }
    }

    private static String text(Object v) throws IOException {
        if (v instanceof String) return (String) v;
        if (v instanceof List || v instanceof Map) return MAPPER.writeValueAsString(v);
        return String.valueOf(v);
    }

    private static String typeName(Object v) {
        if (v == null) return "null";
        if (v instanceof String) return "string";
        if (v instanceof Number) return "number";
        if (v instanceof Map) return "map";
        if (v instanceof List) return "list";
        return v.getClass().getSimpleName();
    }

    private static Instant dateTime(String s) {
        try {
            return ZonedDateTime.parse(s, DateTimeFormatter.ISO_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            // not a zoned date-time; try the other documented forms
        }
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            // nor an instant
        }
        try {
            long n = Long.parseLong(s.trim());
            Instant seconds = Instant.ofEpochSecond(n);
            return seconds.atZone(ZoneOffset.UTC).getYear() >= 2970 ? Instant.ofEpochMilli(n) : seconds;
        } catch (NumberFormatException | java.time.DateTimeException e) {
            return null;
        }
    }
}
