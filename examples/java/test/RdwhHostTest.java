// The JVM host's test: the same .so, a Rundeck config, a signed PagerDuty delivery, job requests.
// Run: java -cp /usr/share/java/jna.jar:rdwh.jar:CLASSES RdwhHostTest PLUGIN.so SOURCE_DIR
import org.rdwh.RdwhPlugin;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

public final class RdwhHostTest {
  static int failures = 0;

  static void check(boolean ok, String what) {
    System.out.println((ok ? "ok   " : "FAIL ") + what);
    if (!ok) failures++;
  }

  public static void main(String[] args) throws Exception {
    RdwhPlugin plugin = new RdwhPlugin(args[0]);
    Path source = Path.of(args[1]);
    String secret = "lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK";
    String good = "v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd";
    String config = Files.readString(source.resolve("examples/rundeck/pagerduty-v3.json"));
    byte[] body = Files.readAllBytes(source.resolve("examples/deliveries/v3-incident.priority_updated-gopagerduty.json"));

    check(plugin.name().equals("rdwh-pagerduty"), "plugin name");
    check(plugin.providers().equals(List.of("pagerduty-V3-run-job", "pagerduty-run-job", "advanced-run-job", "webhook-run-job")),
          "providers with Rundeck's names");

    try (RdwhPlugin.Handler h = plugin.create("pagerduty-V3-run-job", config, Map.of("keys/pagerduty/v3-secret", secret))) {
      RdwhPlugin.Outcome ok = h.handle(body, Map.of("X-PagerDuty-Signature", good));
      check(ok.status() == 200 && ok.body().equals("{\"msg\":\"ok\"}"), "signed delivery answered 200 {\"msg\":\"ok\"}");
      check(ok.jobs().size() == 1, "one job");
      RdwhPlugin.JobRequest job = ok.jobs().get(0);
      check(job.jobId().equals("9b1c5a52-0d6f-4d39-8bb3-5f0c2b7e1a02"), "job id");
      check(job.options().equals(Map.of("pd_incident_id", "PGR0VU2", "priority", "P1", "event", "incident.priority_updated")),
            "rendered options " + job.options());
      check(job.asUser().equals("pagerduty-bot") && job.eventId().equals("01BWDWL3NYY7LUFPZCC28QUCMK"), "user and event id");
      check(job.eventKey().equals("01BWDWL3NYY7LUFPZCC28QUCMK") && job.resourceId().equals("PGR0VU2")
            && job.eventTimeMs() == 1619458587458L && job.signed() && !job.ruleKey().isEmpty(),
            "ABI 1.1 identities: " + job);

      RdwhPlugin.Outcome bad = h.handle(body, Map.of("X-PagerDuty-Signature",
          "v1=7020c8a7ec668a9b7012bc3dd82e483394b038f4230acc6785efbf2a7d8bcaf5"));
      check(bad.status() == 403 && bad.jobs().isEmpty() && !bad.body().contains(secret), "forged signature refused");
      RdwhPlugin.Outcome missing = h.handle(body, Map.of());
      check(missing.status() == 400 && missing.verdict() == 2, "missing signature refused");
    }

    try {
      plugin.create("advanced-run-job", "{\"rules\":[{\"policy\":\"most\"}]}", Map.of());
      check(false, "bad config refused");
    } catch (RdwhPlugin.RdwhException e) {
      check(e.code == 8 && e.getMessage().contains("rules[0].policy"), "bad config refused naming the field: " + e.getMessage());
    }

    // load() looks in rdwh.plugin.path (here set by the test to the plugin's directory).
    System.setProperty("rdwh.plugin.path", "/nonexistent:" + new File(args[0]).getParent());
    check(RdwhPlugin.load("pagerduty-run-job").name().equals("rdwh-pagerduty"), "load() finds the plugin by provider");
    try {
      RdwhPlugin.load("no-such-provider");
      check(false, "load() of an unknown provider fails");
    } catch (RdwhPlugin.RdwhException e) {
      check(e.code == 3 && e.getMessage().contains("no-such-provider"), "load() of an unknown provider fails: " + e.getMessage());
    }

    System.out.println(failures == 0 ? "all Java host checks passed" : failures + " Java host checks failed");
    System.exit(failures == 0 ? 0 : 1);
  }
}
