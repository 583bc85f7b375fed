// rdwh-test-get URL: GET a URL (loopback test helper, so the tests need no curl command).
// Prints the HTTP status on the first line, then the body. Exit 0 when an answer came back, 1 when
// none did (connection error), 2 for usage errors.
#include <curl/curl.h>

#include <cstdio>
#include <string>

namespace {
size_t on_body(char *data, size_t size, size_t count, void *user) {
  static_cast<std::string *>(user)->append(data, size * count);
  return size * count;
}
} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: rdwh-test-get URL\n");
    return 2;
  }
  CURL *c = curl_easy_init();
  if (!c) return 1;
  std::string body;
  curl_easy_setopt(c, CURLOPT_URL, argv[1]);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  const CURLcode rc = curl_easy_perform(c);
  long status = 0;
  if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK) {
    std::fprintf(stderr, "rdwh-test-get: %s: %s\n", argv[1], curl_easy_strerror(rc));
    return 1;
  }
  std::printf("%ld\n%s", status, body.c_str());
  return 0;
}
