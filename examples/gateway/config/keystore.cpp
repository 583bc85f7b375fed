#include "config/keystore.hpp"

#include "config/config.hpp"

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace rdwh::gateway {

bool is_env_name(std::string_view n) {
  if (n.empty() || (n[0] >= '0' && n[0] <= '9')) return false;
  for (char c : n)
    if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

namespace {

// "a/b/c" with no empty, "." or ".." component.
bool safe_relative(std::string_view p) {
  if (p.empty()) return false;
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    const std::string_view part = p.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}
} // namespace

bool KeyStore::env_allowed(std::string_view name) const {
  for (const std::string &allowed : env_allow_)
    if (allowed == name) return true;
  return false;
}

std::string KeyStore::why_missing(std::string_view path) const {
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (path.rfind("env/", 0) != 0 || env_allowed(path.substr(4))) return "";
  return std::string(path) + " is not in keyStorageEnvAllow (the environment variables key storage may read)";
}

std::optional<std::string> KeyStore::get(std::string_view path) const {
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  const std::string shown(path);
  if (path.rfind("env/", 0) == 0) {
    const std::string name(path.substr(4));
    if (!is_env_name(name)) throw std::runtime_error("key path '" + shown + "': not a valid variable name");
    if (!env_allowed(name)) return std::nullopt; // as a missing key: why_missing() says why
    const char *v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  }
  if (path.rfind("keys/", 0) != 0)
    throw std::runtime_error("key path '" + shown + "': must start with keys/ or env/");
  const std::string_view rel = path.substr(5);
  if (!safe_relative(rel)) throw std::runtime_error("key path '" + shown + "': malformed");
  if (dir_.empty()) return std::nullopt;
  const std::filesystem::path file = std::filesystem::path(dir_) / std::string(rel);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    if (ec && ec != std::errc::no_such_file_or_directory)
      throw std::runtime_error("key path '" + shown + "': " + ec.message());
    return std::nullopt;
  }
  return read_file(file.string());
}

} // namespace rdwh::gateway
