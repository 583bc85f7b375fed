/* A plugin built to ABI 1.0: its entry table ends after release_result (struct_size 80 on LP64)
 * and announces 1.0. Right after the table, in the same object, sits a pointer that aborts when
 * called: a 1.1 host that ignored struct_size and called get_extension would crash here.
 * One provider, "v10-echo", whose every delivery is accepted with no job. */
#include <rdwh/rdwh.h>

#include <stdlib.h>

/* rdwh_plugin_entry_t as ABI 1.0 had it. */
typedef struct entry_v1_0 {
  uint32_t struct_size;
  rdwh_version_t abi_version;
  const char *plugin_name;
  const char *plugin_version;
  size_t(RDWH_CALL *provider_count)(void);
  const rdwh_provider_info_t *(RDWH_CALL *provider_info)(size_t index);
  rdwh_status(RDWH_CALL *create)(const char *, rdwh_str_t, const rdwh_host_t *, rdwh_handler_t **, rdwh_error_t *);
  void(RDWH_CALL *destroy)(rdwh_handler_t *);
  rdwh_status(RDWH_CALL *handle)(const rdwh_handler_t *, const rdwh_request_t *, const rdwh_result_t **,
                                 rdwh_error_t *);
  void(RDWH_CALL *release_result)(const rdwh_handler_t *, const rdwh_result_t *);
} entry_v1_0;

static const rdwh_provider_info_t info = {sizeof(rdwh_provider_info_t), "v10-echo", "ABI 1.0 test provider",
                                          "Accepts every delivery, runs nothing", 0, NULL};
static int handler_token;
static const rdwh_result_t accepted = {sizeof(rdwh_result_t), RDWH_VERDICT_ACCEPTED, 200,
                                       {"application/json", 16}, {"{\"msg\":\"ok\"}", 12}, 0, NULL, {NULL, 0}};

static size_t RDWH_CALL provider_count(void) { return 1; }
static const rdwh_provider_info_t *RDWH_CALL provider_info(size_t index) { return index == 0 ? &info : NULL; }
static rdwh_status RDWH_CALL create(const char *provider, rdwh_str_t config, const rdwh_host_t *host,
                                    rdwh_handler_t **out, rdwh_error_t *err) {
  (void)provider, (void)config, (void)host, (void)err;
  *out = (rdwh_handler_t *)&handler_token;
  return RDWH_STATUS_OK;
}
static void RDWH_CALL destroy(rdwh_handler_t *handler) { (void)handler; }
static rdwh_status RDWH_CALL handle(const rdwh_handler_t *handler, const rdwh_request_t *request,
                                    const rdwh_result_t **out, rdwh_error_t *err) {
  (void)handler, (void)request, (void)err;
  *out = &accepted;
  return RDWH_STATUS_OK;
}
static void RDWH_CALL release_result(const rdwh_handler_t *handler, const rdwh_result_t *result) {
  (void)handler, (void)result;
}
static const void *RDWH_CALL trap(const char *id) {
  (void)id;
  abort(); /* the host read past struct_size */
}

static const struct {
  entry_v1_0 entry;
  const void *(RDWH_CALL *after_the_table)(const char *);
} table = {{sizeof(entry_v1_0), {1, 0, 0}, "rdwh-test-v10", "1.0.0", provider_count, provider_info, create, destroy,
            handle, release_result},
           trap};

RDWH_EXPORT const rdwh_plugin_entry_t *RDWH_CALL rdwh_plugin_get_entry(uint32_t host_abi_major) {
  return host_abi_major == 1 ? (const rdwh_plugin_entry_t *)(const void *)&table.entry : NULL;
}
