// rdwh from the JVM: loads an rdwh plugin with JNA (Debian's libjna-java) and drives it through
// the C ABI, the way Rundeck (a JVM application) could use it. Mirrors abi/include/rdwh/*.h, ABI 1.x.
package org.rdwh;

import com.sun.jna.Callback;
import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.PointerByReference;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

public final class RdwhPlugin {
  public static final int ABI_MAJOR = 1, ABI_MINOR = 1;
  static final int STATUS_OK = 0, STATUS_NOT_FOUND = 3, STATUS_BUFFER_TOO_SMALL = 4;
  static final int JOB_SIGNED = 1;

  /** rdwh_str_t: pointer + size, not NUL-terminated. */
  @Structure.FieldOrder({"data", "size"})
  public static class Str extends Structure {
    public Pointer data;
    public long size;
    public static class ByValue extends Str implements Structure.ByValue {}

    static <T extends Str> T of(T s, Memory m, long size) { s.data = m; s.size = size; return s; }
    String text() { return size == 0 ? "" : new String(data.getByteArray(0, (int) size), StandardCharsets.UTF_8); }
  }

  @Structure.FieldOrder({"name", "value"})
  public static class Header extends Structure {
    public Str.ByValue name, value;
  }

  @Structure.FieldOrder({"major", "minor", "patch"})
  public static class Version extends Structure {
    public int major, minor, patch;
    public static class ByValue extends Version implements Structure.ByValue {}
  }

  public interface LogFn extends Callback { void invoke(Pointer host, int level, Str.ByValue msg); }
  public interface SecretFn extends Callback { int invoke(Pointer host, Str.ByValue path, Pointer out, long cap, Pointer outLen); }
  public interface ClockFn extends Callback { long invoke(Pointer host); }

  @Structure.FieldOrder({"struct_size", "abi_version", "host_data", "log", "get_secret", "now_unix_ms"})
  public static class Host extends Structure {
    public int struct_size;
    public Version.ByValue abi_version;
    public Pointer host_data;
    public LogFn log;
    public SecretFn get_secret;
    public ClockFn now_unix_ms;
  }

  @Structure.FieldOrder({"struct_size", "flags", "headers", "header_count", "body", "delivery_id", "webhook_name",
                         "project", "sender", "received_unix_ms"})
  public static class Request extends Structure {
    public int struct_size, flags;
    public Pointer headers;
    public long header_count;
    public Str.ByValue body, delivery_id, webhook_name, project, sender;
    public long received_unix_ms;
  }

  @Structure.FieldOrder({"struct_size", "code", "message"})
  public static class ErrorInfo extends Structure {
    public int struct_size;
    public int code;
    public byte[] message = new byte[512];
    ErrorInfo() { struct_size = size(); }
    String text() { return com.sun.jna.Native.toString(message, "UTF-8"); }
  }

  @Structure.FieldOrder({"struct_size", "rule", "rule_index", "event_index", "event_id", "job_id", "options",
                         "option_count", "filter", "as_user", "flags", "event_key", "rule_key", "resource_id",
                         "event_time_unix_ms"})
  public static class Job extends Structure {
    public int struct_size;
    public Str.ByValue rule;
    public int rule_index, event_index;
    public Str.ByValue event_id, job_id;
    public Pointer options;
    public long option_count;
    public Str.ByValue filter, as_user;
    // ABI 1.1: valid only when struct_size covers them (hasField); a 1.0 plugin's job is smaller.
    public int flags;
    public Str.ByValue event_key, rule_key, resource_id;
    public long event_time_unix_ms;
    public Job(Pointer p) {
      super(p);
      readField("struct_size");
      if (struct_size >= size()) read();
      else for (String f : Arrays.asList("rule", "rule_index", "event_index", "event_id", "job_id", "options",
                                         "option_count", "filter", "as_user")) readField(f);
    }
    boolean hasField(String name) { return fieldOffset(name) + 8 <= struct_size; }
  }

  @Structure.FieldOrder({"struct_size", "verdict", "http_status", "content_type", "body", "job_count", "jobs", "evaluation"})
  public static class Result extends Structure {
    public int struct_size, verdict, http_status;
    public Str.ByValue content_type, body;
    public long job_count;
    public Pointer jobs;
    public Str.ByValue evaluation;
    public Result(Pointer p) { super(p); read(); }
  }

  /** A job the host should run: POST /api/{v}/job/{jobId}/run with options, filter, asUser ("" = none).
   *  eventKey and ruleKey identify it across redeliveries (de-duplicate on the pair); resourceId is the
   *  incident (start one incident's jobs in order); eventTimeMs 0 = unknown; signed: read from signed bytes. */
  public record JobRequest(String rule, String jobId, String eventId, Map<String, String> options, String filter,
                           String asUser, String eventKey, String ruleKey, String resourceId, long eventTimeMs,
                           boolean signed) {}

  /** The outcome of one delivery, copied out of the plugin's result. */
  public record Outcome(int status, int verdict, String body, List<JobRequest> jobs) {}

  public static final class RdwhException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    public final int code;
    RdwhException(int code, String message) { super(message); this.code = code; }
  }

  private final NativeLibrary library;
  private final Pointer entry;
  public final String path;

  public RdwhPlugin(String path) {
    this.path = path;
    library = NativeLibrary.getInstance(path);
    Function getEntry = library.getFunction("rdwh_plugin_get_entry");
    entry = (Pointer) getEntry.invoke(Pointer.class, new Object[] {ABI_MAJOR});
    if (entry == null) throw new RdwhException(2, path + " does not speak rdwh ABI major " + ABI_MAJOR);
  }

  // Entry table layout (LP64): struct_size + version (16 bytes), two names, then the function slots.
  private Function slot(int index) { return Function.getFunction(entry.getPointer(32 + 8L * index)); }
  private static final int PROVIDER_COUNT = 0, PROVIDER_INFO = 1, CREATE = 2, DESTROY = 3, HANDLE = 4, RELEASE = 5;

  public String name() { return entry.getPointer(16).getString(0); }
  public String version() { return entry.getPointer(24).getString(0); }

  /** Where plugins are looked up: the rdwh.plugin.path system property, else RDWH_PLUGIN_PATH (both
   *  colon-separated), else the plugin directory installed beside this jar. */
  public static List<String> pluginDirs() {
    String configured = System.getProperty("rdwh.plugin.path", System.getenv("RDWH_PLUGIN_PATH"));
    List<String> dirs = new ArrayList<>();
    if (configured != null && !configured.isEmpty()) {
      for (String d : configured.split(":")) if (!d.isEmpty()) dirs.add(d);
      return dirs;
    }
    String installed = installedPluginDir();
    if (installed != null) dirs.add(installed);
    return dirs;
  }

  // paths.properties is written when the jar is built: the plugin directory relative to the jar's.
  private static String installedPluginDir() {
    try (InputStream in = RdwhPlugin.class.getResourceAsStream("paths.properties")) {
      if (in == null) return null;
      Properties p = new Properties();
      p.load(in);
      File jar = new File(RdwhPlugin.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return new File(jar.getParentFile(), p.getProperty("pluginDirFromJar")).toPath().normalize().toString();
    } catch (IOException | java.net.URISyntaxException | SecurityException e) {
      return null;
    }
  }

  /** The first plugin in pluginDirs() offering `provider` (any plugin when null); files that are not
   *  rdwh plugins are skipped. Throws RdwhException (code 3) when there is none. */
  public static RdwhPlugin load(String provider) {
    List<String> dirs = pluginDirs();
    for (String dir : dirs) {
      File[] files = new File(dir).listFiles((d, n) -> n.endsWith(".so"));
      if (files == null) continue;
      Arrays.sort(files);
      for (File f : files) {
        RdwhPlugin plugin;
        try {
          plugin = new RdwhPlugin(f.getPath());
        } catch (RuntimeException | UnsatisfiedLinkError e) {
          continue; // not an rdwh plugin, or another ABI major
        }
        if (provider == null || plugin.providers().contains(provider)) return plugin;
      }
    }
    throw new RdwhException(STATUS_NOT_FOUND, "no plugin offering '" + provider + "' in "
        + (dirs.isEmpty() ? "(no directory: set RDWH_PLUGIN_PATH)" : String.join(":", dirs)));
  }

  public List<String> providers() {
    long n = (Long) slot(PROVIDER_COUNT).invoke(Long.class, new Object[0]);
    List<String> names = new ArrayList<>();
    for (long i = 0; i < n; i++) {
      Pointer info = (Pointer) slot(PROVIDER_INFO).invoke(Pointer.class, new Object[] {i});
      names.add(info.getPointer(8).getString(0));
    }
    return names;
  }

  private static Memory bytes(byte[] b) {
    Memory m = new Memory(Math.max(1, b.length));
    m.write(0, b, 0, b.length);
    return m;
  }

  /** A provider with a compiled config. Safe to call handle() from many threads. */
  public final class Handler implements AutoCloseable {
    private final Host host = new Host();
    private final Map<String, byte[]> secrets;
    private final List<Memory> keepAlive = new ArrayList<>();
    private Pointer handle;
    public final List<String> logLines = new ArrayList<>();

    Handler(String provider, String config, Map<String, String> keys) {
      secrets = new LinkedHashMap<>();
      keys.forEach((k, v) -> secrets.put(k, v.getBytes(StandardCharsets.UTF_8)));
      host.struct_size = host.size();
      host.abi_version = new Version.ByValue();
      host.abi_version.major = ABI_MAJOR;
      host.abi_version.minor = ABI_MINOR;
      host.log = (h, level, msg) -> { synchronized (logLines) { logLines.add(msg.text()); } };
      host.get_secret = (h, path, out, cap, outLen) -> {
        byte[] value = secrets.get(path.text());
        if (value == null) return STATUS_NOT_FOUND;
        outLen.setLong(0, value.length);
        if (value.length > cap) return STATUS_BUFFER_TOO_SMALL;
        out.write(0, value, 0, value.length);
        return STATUS_OK;
      };
      host.now_unix_ms = h -> System.currentTimeMillis();
      host.write();
      byte[] cfg = config.getBytes(StandardCharsets.UTF_8);
      Memory cfgMem = bytes(cfg);
      PointerByReference out = new PointerByReference();
      ErrorInfo err = new ErrorInfo();
      int status = (Integer) slot(CREATE).invoke(Integer.class,
          new Object[] {provider, Str.of(new Str.ByValue(), cfgMem, cfg.length), host, out, err});
      err.read();
      if (status != STATUS_OK) throw new RdwhException(status, err.text());
      handle = out.getValue();
    }

    public Outcome handle(byte[] body, Map<String, String> headers) {
      Header[] array = (Header[]) new Header().toArray(Math.max(1, headers.size()));
      List<Memory> mems = new ArrayList<>();
      int i = 0;
      for (Map.Entry<String, String> h : headers.entrySet()) {
        byte[] n = h.getKey().getBytes(StandardCharsets.UTF_8), v = h.getValue().getBytes(StandardCharsets.UTF_8);
        Memory nm = bytes(n), vm = bytes(v);
        mems.add(nm);
        mems.add(vm);
        array[i].name = Str.of(new Str.ByValue(), nm, n.length);
        array[i].value = Str.of(new Str.ByValue(), vm, v.length);
        array[i].write();
        i++;
      }
      Memory bodyMem = bytes(body);
      Request req = new Request();
      req.struct_size = req.size();
      req.headers = array[0].getPointer();
      req.header_count = headers.size();
      req.body = Str.of(new Str.ByValue(), bodyMem, body.length);
      req.delivery_id = new Str.ByValue();
      req.webhook_name = new Str.ByValue();
      req.project = new Str.ByValue();
      req.sender = new Str.ByValue();
      req.write();
      PointerByReference out = new PointerByReference();
      ErrorInfo err = new ErrorInfo();
      int status = (Integer) slot(HANDLE).invoke(Integer.class, new Object[] {handle, req, out, err});
      err.read();
      if (status != STATUS_OK) throw new RdwhException(status, err.text());
      Pointer resultPtr = out.getValue();
      try {
        Result r = new Result(resultPtr);
        List<JobRequest> jobs = new ArrayList<>();
        for (long j = 0; j < r.job_count; j++) {
          Job job = new Job(r.jobs.getPointer(8 * j));
          Map<String, String> options = new LinkedHashMap<>();
          for (long k = 0; k < job.option_count; k++) {
            Str name = Structure.newInstance(Str.class, job.options.share(32 * k));
            Str value = Structure.newInstance(Str.class, job.options.share(32 * k + 16));
            name.read();
            value.read();
            options.put(name.text(), value.text());
          }
          boolean v11 = job.hasField("event_time_unix_ms");
          jobs.add(new JobRequest(job.rule.text(), job.job_id.text(), job.event_id.text(), options, job.filter.text(),
                                  job.as_user.text(), v11 ? job.event_key.text() : "", v11 ? job.rule_key.text() : "",
                                  v11 ? job.resource_id.text() : "", v11 ? job.event_time_unix_ms : 0,
                                  v11 && (job.flags & JOB_SIGNED) != 0));
        }
        return new Outcome(r.http_status, r.verdict, r.body.text(), jobs);
      } finally {
        slot(RELEASE).invoke(Void.class, new Object[] {handle, resultPtr});
      }
    }

    @Override public void close() {
      if (handle != null) slot(DESTROY).invoke(Void.class, new Object[] {handle});
      handle = null;
    }
  }

  public Handler create(String provider, String config, Map<String, String> keys) {
    return new Handler(provider, config, keys);
  }
}
