/* minimal_host: the smallest complete rdwh host, in plain C99.
 * Loads a plugin, creates a handler from a Rundeck webhook config, hands it one delivery and
 * prints the jobs to run.
 *
 *   minimal_host PLUGIN.so PROVIDER CONFIG.json BODY.json [SECRET [SIGNATURE]]
 *
 * PLUGIN.so without a directory (rdwh-pagerduty.so) is looked up in RDWH_PLUGIN_DIR when the
 * build defines it: the rdwh-abi CMake package does for every target linking rdwh::abi, and with
 * pkg-config, -DRDWH_PLUGIN_DIR="\"$(pkg-config --variable=plugindir rdwh-abi)\"" does.
 * SECRET (optional) is served as the key-storage entry the config's keyStoragePath names;
 * SIGNATURE is sent as the X-PagerDuty-Signature header. */
#include <rdwh/rdwh.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Where to dlopen `name` from: as given when it names a directory (dlopen would otherwise search
 * the loader's path, where plugins are not), else RDWH_PLUGIN_DIR/name when that is defined. */
static const char *plugin_path(const char *name, char *buf, size_t size) {
#ifdef RDWH_PLUGIN_DIR
  if (!strchr(name, '/')) {
    snprintf(buf, size, "%s/%s", RDWH_PLUGIN_DIR, name);
    return buf;
  }
#endif
  (void)buf;
  (void)size;
  return name;
}

static char *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  char *data = NULL;
  long n;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
    data = malloc((size_t)n + 1);
    if (data && fread(data, 1, (size_t)n, f) == (size_t)n) {
      *size = (size_t)n;
    } else {
      free(data);
      data = NULL;
    }
  }
  fclose(f);
  return data;
}

/* Host services. host_data carries the one secret this host knows. */
static void host_log(const rdwh_host_t *host, rdwh_log_level level, rdwh_str_t msg) {
  (void)host;
  fprintf(stderr, "plugin[%d]: %.*s\n", (int)level, (int)msg.size, msg.data);
}

static rdwh_status host_get_secret(const rdwh_host_t *host, rdwh_str_t path, uint8_t *out, size_t cap,
                                   size_t *out_len) {
  const char *secret = (const char *)host->host_data;
  size_t n;
  (void)path; /* this host has a single key, whatever its path */
  if (!secret) return RDWH_STATUS_NOT_FOUND;
  n = strlen(secret);
  *out_len = n;
  if (n > cap) return RDWH_STATUS_BUFFER_TOO_SMALL;
  memcpy(out, secret, n);
  return RDWH_STATUS_OK;
}

static int64_t host_now(const rdwh_host_t *host) {
  (void)host;
  return (int64_t)time(NULL) * 1000;
}

static void print_str(rdwh_str_t s) { printf("%.*s", (int)s.size, s.size ? s.data : ""); }

int main(int argc, char **argv) {
  void *dl;
  rdwh_plugin_get_entry_fn get_entry;
  const rdwh_plugin_entry_t *entry;
  rdwh_host_t host;
  rdwh_handler_t *handler = NULL;
  rdwh_error_t err;
  rdwh_request_t request;
  rdwh_header_t header;
  const rdwh_result_t *result = NULL;
  char *config, *body;
  size_t config_size = 0, body_size = 0, i, k;
  int exit_code = 0;
  char path_buf[4096];

  if (argc < 5) {
    fprintf(stderr, "usage: %s PLUGIN.so PROVIDER CONFIG.json BODY.json [SECRET [SIGNATURE]]\n", argv[0]);
    return 2;
  }
  config = read_file(argv[3], &config_size);
  body = read_file(argv[4], &body_size);
  if (!config || !body) {
    fprintf(stderr, "cannot read %s or %s\n", argv[3], argv[4]);
    return 2;
  }

  /* 1. Load and negotiate: the plugin returns NULL for an ABI major it cannot speak. */
  dl = dlopen(plugin_path(argv[1], path_buf, sizeof path_buf), RTLD_NOW | RTLD_LOCAL);
  if (!dl) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 1;
  }
  *(void **)&get_entry = dlsym(dl, RDWH_PLUGIN_ENTRY_SYMBOL);
  entry = get_entry ? get_entry(RDWH_ABI_VERSION_MAJOR) : NULL;
  if (!entry) {
    fprintf(stderr, "%s is not an rdwh plugin for ABI %d\n", argv[1], RDWH_ABI_VERSION_MAJOR);
    dlclose(dl);
    return 1;
  }

  /* 2. Create a handler: the host table must outlive it. */
  host = (rdwh_host_t)RDWH_HOST_INIT;
  host.host_data = argc > 5 ? argv[5] : NULL;
  host.log = host_log;
  host.get_secret = host_get_secret;
  host.now_unix_ms = host_now;
  err = (rdwh_error_t)RDWH_ERROR_INIT;
  {
    rdwh_str_t config_str;
    config_str.data = config;
    config_str.size = config_size;
    if (entry->create(argv[2], config_str, &host, &handler, &err) != RDWH_STATUS_OK) {
      fprintf(stderr, "create: %s\n", err.message);
      exit_code = 1;
      goto done;
    }
  }

  /* 3. Handle one delivery. */
  request = (rdwh_request_t)RDWH_REQUEST_INIT;
  request.body.data = body;
  request.body.size = body_size;
  if (argc > 6) {
    header.name.data = "X-PagerDuty-Signature";
    header.name.size = strlen(header.name.data);
    header.value.data = argv[6];
    header.value.size = strlen(argv[6]);
    request.headers = &header;
    request.header_count = 1;
  }
  if (entry->handle(handler, &request, &result, &err) != RDWH_STATUS_OK) {
    fprintf(stderr, "handle: %s\n", err.message);
    exit_code = 1;
    goto done;
  }

  /* 4. Read the result, then release it through the ABI. */
  printf("status %d: ", (int)result->http_status);
  print_str(result->body);
  printf("\n");
  for (i = 0; i < result->job_count; ++i) {
    const rdwh_job_t *job = result->jobs[i];
    printf("run job ");
    print_str(job->job_id);
    printf(" (rule ");
    print_str(job->rule);
    printf(")");
    for (k = 0; k < job->option_count; ++k) {
      printf(" -");
      print_str(job->options[k].name);
      printf(" '");
      print_str(job->options[k].value);
      printf("'");
    }
    printf("\n");
  }
  entry->release_result(handler, result);

done:
  entry->destroy(handler);
  dlclose(dl);
  free(config);
  free(body);
  return exit_code;
}
