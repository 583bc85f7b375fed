#include "cli.hpp"

#define RAPIDJSON_HAS_STDSTRING 1
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>

namespace rdwh::harness {

std::string read_file(const std::string &path) {
  if (path == "-") return std::string(std::istreambuf_iterator<char>(std::cin), {});
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("cannot read " + path + ": " + std::strerror(errno));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string take_value(int argc, char **argv, int &i) {
  if (i + 1 >= argc) throw UsageError(std::string(argv[i]) + " needs a value");
  return argv[++i];
}

std::pair<std::string, std::string> split_header(const std::string &text) {
  auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0) throw UsageError("--header takes 'Name: value', got '" + text + "'");
  std::string value = text.substr(colon + 1);
  value.erase(0, value.find_first_not_of(" \t"));
  return {text.substr(0, colon), value};
}

void add_key(host::MemoryKeyStorage &keys, const std::string &assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) throw UsageError("--key takes PATH=VALUE");
  keys.keys[assignment.substr(0, eq)] = assignment.substr(eq + 1);
}

std::vector<std::string> plugin_dirs(const std::vector<std::string> &given) {
  if (!given.empty()) return given;
  return host::PluginSet::default_dirs(RDWH_INSTALLED_PLUGIN_DIR, RDWH_BUILD_BIN_DIR, RDWH_BUILD_PLUGIN_DIR);
}

host::PluginSet load_plugins(const std::vector<std::string> &dirs) {
  host::PluginSet set = host::PluginSet::scan(dirs);
  for (const std::string &why : set.skipped()) std::cerr << "rdwh-host: skipped " << why << "\n";
  return set;
}

std::string unwrap_webhook(const std::string &text, std::string &provider) {
  rapidjson::Document doc;
  if (doc.Parse(text.data(), text.size()).HasParseError() || !doc.IsObject()) return text;
  auto plugin = doc.FindMember("eventPlugin");
  auto config = doc.FindMember("config");
  if (plugin == doc.MemberEnd() || config == doc.MemberEnd() || !plugin->value.IsString()) return text;
  if (provider.empty()) provider = plugin->value.GetString();
  if (config->value.IsString()) return config->value.GetString();
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  config->value.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

} // namespace rdwh::harness
