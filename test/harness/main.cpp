// rdwh-host: a tiny host that loads rdwh plugins through the C ABI and drives them from the
// command line. Its output is relied on by tests and tools: keep it stable.
#include "cli.hpp"
#include "commands.hpp"
#include "hostkit.hpp"
#include "send.hpp"
#include "sign.hpp"

#define RAPIDJSON_HAS_STDSTRING 1
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace rdwh::host;
using rdwh::harness::UsageError;
using rdwh::harness::load_plugins;
using rdwh::harness::plugin_dirs;
using rdwh::harness::read_file;
using rdwh::harness::split_header;
using rdwh::harness::take_value;
using rdwh::harness::unwrap_webhook;

constexpr const char *usage_text = R"(usage: rdwh-host [--plugin-dir DIR] COMMAND [ARGS]
       rdwh-host --version | --help

Loads every rdwh plugin (*.so with the rdwh_plugin_get_entry symbol) from the plugin directories
and drives it through the C ABI.

Plugin directories: --plugin-dir DIR (repeatable), else $RDWH_PLUGIN_PATH (colon-separated),
else the installed plugin directory beside this program (bin/../lib/rdwh/plugins; the program
still in its build tree: the build's plugin directory).

Commands:
  plugins                       list plugins (file, name, version, abiVersion) and their
                                providers as JSON
  describe PROVIDER             print the provider in the shape of Rundeck's plugin detail
                                (GET /api/{v}/plugin/detail/WebhookEvent/PROVIDER: id, name, title,
                                description, ver, rundeckCompatibilityVersion, license, ...,
                                props[]), and what a console offers for it (rdwh.provider-ui/1):
                                sampleAction (a rule) and fieldSuggestions[] (path, title, example)
  handle --provider NAME --config FILE --body FILE
         [--header 'Name: value']... [--key PATH=VALUE]... [--now ISO8601|EPOCH_MS]
         [--repeat N] [--delivery-id ID] [--webhook-name NAME] [--project NAME] [--sender ADDR]
         [--brief]
                                hand one delivery to the plugin and print the result as JSON:
                                status, verdict, response, jobs, evaluations.
                                FILE may be '-' for standard input. --config takes a Rundeck
                                webhook config ({"rules":[...]}), a JSON string holding one, or a
                                whole webhook as Rundeck's API exports it ({"eventPlugin",
                                "config", ...}); then --provider defaults to its eventPlugin.
                                --key fills the in-memory key storage (keys/pd/secret=VALUE).
                                --repeat handles the same request N times, printing the last.
                                --brief asks the plugin for no explanation and prints none, so
                                --repeat times the production path.
  sign --key SECRET [--key SECRET]... --body FILE
                                print the X-PagerDuty-Signature value PagerDuty would send
  test --config FILE --dir DIR [--expect FILE [--update]] [--provider NAME] [--key PATH=VALUE]...
       [--json]
                                every delivery (*.json) in DIR against every rule: a matrix
                                with the reasons; with --expect, a golden test of which rules
                                fire and the jobs they give (--update writes the file)
  lint --config FILE [--provider NAME] [--dir DIR] [--key PATH=VALUE]...
                                paths the provider's payloads never have (did you mean...),
                                rules that can never match, options that render empty or null
                                on sample deliveries (DIR, default: the bundled samples)
  send URL --body FILE [--fresh] [--key SECRET] [--header 'Name: value']...
                                POST a delivery the way PagerDuty does (signature included);
                                prints {"status": N, "body": ...} with the server's answer.
                                --fresh gives the V3 event a new id and occurred_at now (then
                                signs it), so a receiver that skips old or repeated events runs it

Exit status: handle: 0 when the plugin returned a result (whatever its HTTP status), 1 when the
plugin rejected the config or could not be loaded; send: 0 when the answer is 2xx, 1 when it
could not be sent (connection, timeout), 3 when the server answered another status; test: 0 when
every expectation holds, 3 when one does not; lint: 0 when nothing is found, 3 on findings; test
and lint: 1 when the config or the plugin failed; 2 for usage errors.
)";

template <class Doc> std::string to_pretty(const Doc &doc) {
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.SetIndent(' ', 2);
  doc.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

int cmd_plugins(const std::vector<std::string> &dirs) {
  PluginSet set = load_plugins(dirs);
  rapidjson::Document doc(rapidjson::kObjectType);
  auto &a = doc.GetAllocator();
  rapidjson::Value plugins(rapidjson::kArrayType);
  for (const auto &plugin : set.plugins()) {
    rapidjson::Value p(rapidjson::kObjectType), providers(rapidjson::kArrayType);
    const rdwh_plugin_entry_t &entry = plugin->entry();
    p.AddMember("file", rapidjson::Value(plugin->path(), a), a);
    p.AddMember("name", rapidjson::Value(entry.plugin_name ? entry.plugin_name : "", a), a);
    p.AddMember("version", rapidjson::Value(entry.plugin_version ? entry.plugin_version : "", a), a);
    const std::string abi = std::to_string(entry.abi_version.major) + "." + std::to_string(entry.abi_version.minor) +
                            "." + std::to_string(entry.abi_version.patch);
    p.AddMember("abiVersion", rapidjson::Value(abi, a), a);
    for (const rdwh_provider_info_t *info : plugin->providers()) {
      rapidjson::Value v(rapidjson::kObjectType);
      v.AddMember("name", rapidjson::Value(info->name, a), a);
      v.AddMember("title", rapidjson::Value(info->title, a), a);
      v.AddMember("description", rapidjson::Value(info->description, a), a);
      providers.PushBack(v, a);
    }
    p.AddMember("providers", providers, a);
    plugins.PushBack(p, a);
  }
  doc.AddMember("plugins", plugins, a);
  std::cout << to_pretty(doc) << "\n";
  return 0;
}

// The console data of rdwh.provider-ui/1, when the plugin offers it (ABI 1.1): the sample action
// as a JSON object, and the field suggestions.
void add_provider_ui(rapidjson::Document &doc, const Plugin &plugin, const char *provider) {
  const auto *ui = static_cast<const rdwh_plugin_provider_ui_t *>(plugin.extension(RDWH_EXT_PROVIDER_UI));
  const rdwh_provider_ui_t *data = ui && ui->get ? ui->get(provider) : nullptr;
  if (!data) return;
  auto &a = doc.GetAllocator();
  rapidjson::Document sample(&a);
  if (data->sample_action && !sample.Parse(data->sample_action).HasParseError())
    doc.AddMember("sampleAction", rapidjson::Value(sample, a), a);
  rapidjson::Value fields(rapidjson::kArrayType);
  for (size_t i = 0; i < data->field_count; ++i) {
    rapidjson::Value f(rapidjson::kObjectType);
    f.AddMember("path", rapidjson::Value(data->fields[i].path, a), a);
    f.AddMember("title", rapidjson::Value(data->fields[i].title, a), a);
    f.AddMember("example", rapidjson::Value(data->fields[i].example, a), a);
    fields.PushBack(f, a);
  }
  doc.AddMember("fieldSuggestions", fields, a);
}

// A JSON string, or null for a NULL pointer (Rundeck's plugin detail uses null for "not stated").
rapidjson::Value text_or_null(const char *s, rapidjson::Document::AllocatorType &a) {
  return s ? rapidjson::Value(s, a) : rapidjson::Value();
}

// One property in Rundeck's ApiProviderProp shape: lists and maps that are empty are null, and
// staticTextDefaultValue is the default value or "".
rapidjson::Value property_detail(const rdwh_property_t &p, rapidjson::Document::AllocatorType &a) {
  rapidjson::Value v(rapidjson::kObjectType);
  v.AddMember("name", text_or_null(p.name, a), a);
  v.AddMember("desc", text_or_null(p.description, a), a);
  v.AddMember("title", text_or_null(p.title, a), a);
  v.AddMember("defaultValue", text_or_null(p.default_value, a), a);
  v.AddMember("staticTextDefaultValue", rapidjson::Value(p.default_value ? p.default_value : "", a), a);
  v.AddMember("required", p.required != 0, a);
  v.AddMember("type", text_or_null(p.type, a), a);
  rapidjson::Value allowed;
  if (p.allowed && *p.allowed) {
    allowed.SetArray();
    for (const char *const *x = p.allowed; *x; ++x) allowed.PushBack(rapidjson::Value(*x, a), a);
  }
  v.AddMember("allowed", allowed, a);
  v.AddMember("selectLabels", rapidjson::Value(), a);
  v.AddMember("scope", rapidjson::Value(), a);
  rapidjson::Value options;
  if (p.rendering_options && p.rendering_options[0]) {
    options.SetObject();
    for (const char *const *x = p.rendering_options; x[0] && x[1]; x += 2)
      options.AddMember(rapidjson::Value(x[0], a), rapidjson::Value(x[1], a), a);
  }
  v.AddMember("options", options, a);
  return v;
}

// Rundeck's id for a built-in provider: the first 12 hex digits of the SHA-256 of its name.
std::string rundeck_plugin_id(const char *name) { return rdwh::harness::sha256_hex(name).substr(0, 12); }

int cmd_describe(const std::vector<std::string> &dirs, int argc, char **argv) {
  if (argc != 2) throw UsageError("describe takes one provider name");
  PluginSet set = load_plugins(dirs);
  const rdwh_provider_info_t *info = nullptr;
  const Plugin *plugin = set.find(argv[1], &info);
  if (!plugin) {
    std::cerr << "rdwh-host: no plugin offers provider '" << argv[1] << "'\n";
    return 1;
  }
  const auto *meta = static_cast<const rdwh_plugin_info_ext_t *>(plugin->extension(RDWH_EXT_PLUGIN_INFO));
  auto field = [meta](const char *rdwh_plugin_info_ext_t::*member) -> const char * {
    return meta && meta->struct_size >= sizeof(rdwh_plugin_info_ext_t) ? meta->*member : nullptr;
  };
  // Rundeck's plugin detail (GET /api/{v}/plugin/detail/WebhookEvent/{provider}), field by field.
  rapidjson::Document doc(rapidjson::kObjectType);
  auto &a = doc.GetAllocator();
  const char *version = plugin->entry().plugin_version;
  doc.AddMember("id", rapidjson::Value(rundeck_plugin_id(info->name), a), a);
  doc.AddMember("name", rapidjson::Value(info->name, a), a);
  doc.AddMember("title", text_or_null(info->title, a), a);
  doc.AddMember("description", text_or_null(info->description, a), a);
  doc.AddMember("desc", text_or_null(info->description, a), a);
  doc.AddMember("service", "WebhookEvent", a);
  doc.AddMember("pluginVersion", text_or_null(version, a), a);
  doc.AddMember("ver", text_or_null(version, a), a);
  doc.AddMember("iconUrl", rapidjson::Value(), a);
  doc.AddMember("providerMetadata", rapidjson::Value(), a);
  doc.AddMember("author", text_or_null(field(&rdwh_plugin_info_ext_t::author), a), a);
  doc.AddMember("rundeckCompatibilityVersion",
                rapidjson::Value(field(&rdwh_plugin_info_ext_t::rundeck_compatibility_version)
                                     ? field(&rdwh_plugin_info_ext_t::rundeck_compatibility_version)
                                     : "unspecified", a), a);
  doc.AddMember("targetHostCompatibility",
                rapidjson::Value(field(&rdwh_plugin_info_ext_t::target_host_compatibility)
                                     ? field(&rdwh_plugin_info_ext_t::target_host_compatibility)
                                     : "all", a), a);
  doc.AddMember("license", text_or_null(field(&rdwh_plugin_info_ext_t::license), a), a);
  doc.AddMember("sourceLink", text_or_null(field(&rdwh_plugin_info_ext_t::source_link), a), a);
  doc.AddMember("docsLink", text_or_null(field(&rdwh_plugin_info_ext_t::docs_link), a), a);
  doc.AddMember("thirdPartyDependencies", text_or_null(field(&rdwh_plugin_info_ext_t::third_party_dependencies), a), a);
  doc.AddMember("projectMapping", rapidjson::Value(rapidjson::kObjectType), a);
  doc.AddMember("fwkMapping", rapidjson::Value(rapidjson::kObjectType), a);
  doc.AddMember("dynamicProps", rapidjson::Value(), a);
  doc.AddMember("dynamicDefaults", rapidjson::Value(), a);
  doc.AddMember("vueConfigComponent", rapidjson::Value(), a);
  rapidjson::Value props(rapidjson::kArrayType);
  for (size_t i = 0; i < info->property_count; ++i) props.PushBack(property_detail(*info->properties[i], a), a);
  doc.AddMember("props", props, a);
  add_provider_ui(doc, *plugin, info->name);
  std::cout << to_pretty(doc) << "\n";
  return 0;
}

int cmd_handle(const std::vector<std::string> &dirs, int argc, char **argv) {
  std::string provider, config_file, body_file;
  Handler::Request request;
  request.explain = true;
  MemoryKeyStorage keys;
  std::optional<int64_t> now;
  long repeat = 1;
  bool brief = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--provider") provider = take_value(argc, argv, i);
    else if (arg == "--config") config_file = take_value(argc, argv, i);
    else if (arg == "--body") body_file = take_value(argc, argv, i);
    else if (arg == "--header") request.headers.push_back(split_header(take_value(argc, argv, i)));
    else if (arg == "--key") rdwh::harness::add_key(keys, take_value(argc, argv, i));
    else if (arg == "--now") {
      std::string text = take_value(argc, argv, i);
      now = rdwh::harness::parse_clock(text);
      if (!now) throw UsageError("--now takes an ISO-8601 date-time or epoch milliseconds, got '" + text + "'");
    } else if (arg == "--repeat") {
      std::string text = take_value(argc, argv, i);
      char *end = nullptr;
      repeat = std::strtol(text.c_str(), &end, 10);
      if (!end || *end || repeat < 1) throw UsageError("--repeat takes a positive number");
    } else if (arg == "--delivery-id") request.delivery_id = take_value(argc, argv, i);
    else if (arg == "--webhook-name") request.webhook_name = take_value(argc, argv, i);
    else if (arg == "--project") request.project = take_value(argc, argv, i);
    else if (arg == "--sender") request.sender = take_value(argc, argv, i);
    else if (arg == "--brief") brief = true;
    else throw UsageError("handle: unknown option " + arg);
  }
  if (config_file.empty() || body_file.empty()) throw UsageError("handle needs --config FILE and --body FILE");
  request.explain = !brief; // the production path: no explanation asked, none computed
  std::string config = unwrap_webhook(read_file(config_file), provider);
  if (provider.empty()) throw UsageError("handle needs --provider NAME");
  request.body = read_file(body_file);

  PluginSet set = load_plugins(dirs);
  const Plugin *plugin = set.find(provider);
  if (!plugin) {
    std::cerr << "rdwh-host: no plugin offers provider '" << provider << "'\n";
    return 1;
  }
  Services services;
  services.log = [](int level, std::string_view message) {
    static const char *const names[] = {"debug", "info", "warn", "error"};
    std::cerr << "rdwh-host: plugin " << (level >= 0 && level < 4 ? names[level] : "log") << ": " << message << "\n";
  };
  services.get_secret = [&keys](std::string_view path) { return keys.get(path); };
  if (now) services.now_unix_ms = [t = *now] { return t; };
  Handler handler(*plugin, provider, config, services);
  for (long n = 1; n < repeat; ++n) (void)handler.handle(request);
  Result result = handler.handle(request);
  std::cout << result_to_json(*result, true, !brief) << "\n";
  return 0;
}

int cmd_sign(int argc, char **argv) {
  std::vector<std::string> secrets;
  std::string body_file;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--key") secrets.push_back(take_value(argc, argv, i));
    else if (arg == "--body") body_file = take_value(argc, argv, i);
    else throw UsageError("sign: unknown option " + arg);
  }
  if (secrets.empty() || body_file.empty()) throw UsageError("sign needs --key SECRET and --body FILE");
  std::string body = read_file(body_file);
  std::string header;
  for (const std::string &secret : secrets) {
    if (!header.empty()) header += ',';
    header += rdwh::harness::pagerduty_signature(secret, body);
  }
  std::cout << header << "\n";
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  std::vector<std::string> dirs;
  int i = 1;
  try {
    for (; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg == "--plugin-dir") dirs.push_back(take_value(argc, argv, i));
      else if (arg == "-h" || arg == "--help") {
        std::cout << usage_text;
        return 0;
      } else if (arg == "--version") {
        std::cout << "rdwh-host " RDWH_VERSION " (rdwh ABI " << RDWH_ABI_VERSION_MAJOR << "." << RDWH_ABI_VERSION_MINOR
                  << "." << RDWH_ABI_VERSION_PATCH << ")\n";
        return 0;
      } else break;
    }
    if (i >= argc) throw UsageError("missing command");
    std::string command = argv[i];
    int sub_argc = argc - i;
    char **sub_argv = argv + i;
    for (int k = 1; k < sub_argc; ++k)
      if (std::strcmp(sub_argv[k], "--help") == 0 || std::strcmp(sub_argv[k], "-h") == 0) {
        std::cout << usage_text;
        return 0;
      }
    if (command == "plugins") return cmd_plugins(plugin_dirs(dirs));
    if (command == "describe") return cmd_describe(plugin_dirs(dirs), sub_argc, sub_argv);
    if (command == "handle") return cmd_handle(plugin_dirs(dirs), sub_argc, sub_argv);
    if (command == "sign") return cmd_sign(sub_argc, sub_argv);
    if (command == "test") return rdwh::harness::run_test(plugin_dirs(dirs), sub_argc, sub_argv);
    if (command == "lint") return rdwh::harness::run_lint(plugin_dirs(dirs), sub_argc, sub_argv);
    if (command == "send") return run_send(sub_argc, sub_argv);
    throw UsageError("unknown command '" + command + "'");
  } catch (const UsageError &e) {
    std::cerr << "rdwh-host: " << e.what() << "\n(see rdwh-host --help)\n";
    return 2;
  } catch (const HostError &e) {
    std::cerr << "rdwh-host: " << e.what() << "\n";
    return 1;
  } catch (const std::exception &e) {
    std::cerr << "rdwh-host: " << e.what() << "\n";
    return 1;
  }
}
