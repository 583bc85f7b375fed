#include "console/pages/page.hpp"

#include <map>

namespace rdwh::gateway {

namespace pages {

namespace {

constexpr const char *kHtml = "text/html; charset=utf-8";

// Fixed texts shown after a redirect (?notice=key): never text from the request.
const std::map<std::string, std::string, std::less<>> kNotices = {
    {"saved", "Saved. The gateway serves the change now."},
    {"deleted", "Deleted."},
    {"requeued", "Job queued again: the gateway runs it within a second."},
    {"replayed", "Replayed: this is the new delivery."},
    {"verified", "Verified again with the current secret: this is the new delivery."},
    {"verified_before", "This delivery was verified again before: this is that delivery; nothing ran now."},
};

} // namespace

const std::vector<std::pair<const char *, const char *>> kOutcomes = {
    {outcome::jobs_refused, "refused by Rundeck"},
    {outcome::jobs_failed, "jobs failed: not sent"},
    {outcome::jobs_retrying, "waiting for retry"},
    {outcome::jobs_running, "jobs running"},
    {outcome::jobs_waiting, "jobs waiting to run"},
    {outcome::jobs_done, "jobs ran"},
    {outcome::execution_failed, "an execution failed on Rundeck"},
    {outcome::queued, "jobs queued (any state now)"},
    {outcome::duplicate, "already handled (redelivery)"},
    {outcome::nothing, "no rule fired"},
    {outcome::skipped, "too old: not run"},
    {outcome::refused, "refused (4xx)"},
    {outcome::failed, "failed (5xx)"},
};

std::string outcome_text(std::string_view o) {
  for (const auto &[value, label] : kOutcomes)
    if (o == value) return label;
  return std::string(o);
}

void opt(data &d, const std::string &key, const std::string &value) {
  if (!value.empty()) d.set(key, value);
}

data pair_list(const std::vector<std::pair<std::string, std::string>> &pairs, const char *first_key,
               const char *second_key) {
  data list(data::type::list);
  for (const auto &[a, b] : pairs) {
    data o;
    o.set(first_key, a);
    o.set(second_key, b);
    list.push_back(o);
  }
  return list;
}

std::vector<std::string> all(const Form &f, std::string_view name) {
  std::vector<std::string> out;
  for (const auto &[n, v] : f)
    if (n == name) out.push_back(v);
  return out;
}

std::string render(std::string_view name, const data &d) {
  kainjow::mustache::mustache tmpl{std::string(console_asset(name))};
  if (!tmpl.is_valid()) throw std::runtime_error("template " + std::string(name) + ": " + tmpl.error_message());
  return tmpl.render(d);
}

HttpResponse page(const std::optional<std::string> &csrf, const std::string &title, const char *nav,
                  const std::string &content, const HttpRequest &req, int status) {
  data d;
  d.set("title", title);
  d.set("content", content);
  if (csrf) {
    data session;
    session.set("csrf", *csrf);
    if (nav) session.set(nav, true);
    d.set("session", session);
  }
  if (const auto key = req.arg("notice"))
    if (auto it = kNotices.find(*key); it != kNotices.end()) d.set("notice", it->second);
  return {status, kHtml, render("layout.html", d)};
}

HttpResponse Page::fail(const Refused &refused, const std::string &back) const {
  return fail(status_of(refused.kind), refused.reason, back);
}

} // namespace pages

std::string form_field(const Form &f, std::string_view name) {
  for (const auto &[n, v] : f)
    if (n == name) return v;
  return "";
}

HttpResponse redirect(const std::string &to) {
  HttpResponse r{303, pages::kHtml, ""};
  r.headers.emplace_back("Location", to);
  return r;
}

HttpResponse message_page(const std::optional<std::string> &csrf, const HttpRequest &req, int status,
                          const std::string &heading, const std::string &text, const std::string &back) {
  pages::data d;
  d.set("heading", heading);
  d.set("text", text);
  d.set("kind", status >= 400 ? "error" : "notice");
  d.set("back", back);
  return pages::page(csrf, heading, nullptr, pages::render("message.html", d), req, status);
}

} // namespace rdwh::gateway
