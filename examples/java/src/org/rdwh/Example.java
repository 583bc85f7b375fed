// A runnable JVM host: turns one PagerDuty delivery into Rundeck job requests and prints them.
//   java -cp /usr/share/java/jna.jar:/usr/share/java/rdwh.jar org.rdwh.Example CONFIG.json BODY.json
//        [--provider NAME] [--secret PATH=VALUE]... [--header "Name: value"]...
// The plugin is found with RdwhPlugin.load(): RDWH_PLUGIN_PATH, else the directory installed beside the jar.
package org.rdwh;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

public final class Example {
  public static void main(String[] args) throws Exception {
    String provider = "pagerduty-V3-run-job";
    Map<String, String> secrets = new LinkedHashMap<>(), headers = new LinkedHashMap<>();
    String config = null, body = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      boolean hasValue = i + 1 < args.length;
      if (a.equals("--provider") && hasValue) provider = args[++i];
      else if (a.equals("--secret") && hasValue && args[i + 1].contains("=")) {
        String[] kv = args[++i].split("=", 2);
        secrets.put(kv[0], kv[1]);
      } else if (a.equals("--header") && hasValue && args[i + 1].contains(":")) {
        String[] kv = args[++i].split(":", 2);
        headers.put(kv[0].trim(), kv[1].trim());
      } else if (!a.startsWith("--") && config == null) config = a;
      else if (!a.startsWith("--") && body == null) body = a;
      else usage("unexpected argument: " + a);
    }
    if (config == null || body == null) usage("CONFIG and BODY are required");

    try {
      RdwhPlugin plugin = RdwhPlugin.load(provider);
      try (RdwhPlugin.Handler h = plugin.create(provider, Files.readString(Path.of(config)), secrets)) {
        RdwhPlugin.Outcome out = h.handle(Files.readAllBytes(Path.of(body)), headers);
        System.out.println("status " + out.status() + " " + out.body());
        for (RdwhPlugin.JobRequest job : out.jobs())
          System.out.println("run job " + job.jobId() + " options " + job.options()
                             + (job.asUser().isEmpty() ? "" : " as " + job.asUser())
                             + (job.filter().isEmpty() ? "" : " on " + job.filter()));
      }
    } catch (RdwhPlugin.RdwhException e) {
      System.err.println("Example: " + e.getMessage());
      System.exit(1);
    }
  }

  private static void usage(String why) {
    System.err.println("Example: " + why + "\nusage: org.rdwh.Example CONFIG.json BODY.json [--provider NAME] "
                       + "[--secret PATH=VALUE]... [--header \"Name: value\"]...");
    System.exit(2);
  }
}
