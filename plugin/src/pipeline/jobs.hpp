// What one delivery produces: every string (event ids, job ids, option values...) appended to one
// buffer and referred to by offset and size, so a fired job costs no allocation of its own; the
// jobs, found by evaluate() and filled by render(); and the view the ABI layer and the
// explanation read a job through.
#pragma once

#include "rules/config.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rdwh::pipeline {

struct Text {
  uint32_t offset = 0;
  uint32_t size = 0;
};

struct Strings {
  std::string buffer;

  // Slices are made by since(), so they are always within the buffer.
  std::string_view operator[](Text t) const noexcept { return std::string_view(buffer.data() + t.offset, t.size); }
  // What was appended since `start` (a buffer.size() taken before).
  Text since(std::size_t start) const noexcept {
    return Text{static_cast<uint32_t>(start), static_cast<uint32_t>(buffer.size() - start)};
  }
};

// A rule whose conditions held on an event; render() fills in what it runs.
struct Job {
  const rules::Rule *rule = nullptr;
  uint32_t event_index = 0;
  Text event_id, event_key, resource_id; // the event's (split.hpp)
  int64_t event_time_unix_ms = 0;
  Text job_id;
  uint32_t first_option = 0; // option_count options from Rendered::options
  uint32_t option_count = 0;
  Text filter;
  Text as_user;
};

struct OptionView {
  std::string_view name;
  std::string_view value;
};

// One rendered option: its value, and its name: rendered too (webhook-run-job's argString), or
// the rule's option name, kept here so that reading a job does not go back to the rule.
struct RenderedOption {
  Text value;
  Text name;
  bool rendered_name = false;
  std::string_view config_name; // when !rendered_name
};

// One job as a host sees it: names from the compiled config, values from the delivery's strings.
class JobView {
public:
  JobView(const Job &job, const Strings &strings, const RenderedOption *options) noexcept
      : job_(job), strings_(strings), options_(options) {}
  std::string_view rule() const noexcept { return job_.rule->name; }
  std::string_view rule_key() const noexcept { return job_.rule->key; }
  uint32_t rule_index() const noexcept { return static_cast<uint32_t>(job_.rule->index); }
  uint32_t event_index() const noexcept { return job_.event_index; }
  std::string_view event_id() const noexcept { return strings_[job_.event_id]; }
  std::string_view event_key() const noexcept { return strings_[job_.event_key]; }
  std::string_view resource_id() const noexcept { return strings_[job_.resource_id]; }
  int64_t event_time_unix_ms() const noexcept { return job_.event_time_unix_ms; }
  std::string_view job_id() const noexcept { return strings_[job_.job_id]; }
  std::string_view filter() const noexcept { return strings_[job_.filter]; }
  std::string_view as_user() const noexcept { return strings_[job_.as_user]; }
  std::size_t option_count() const noexcept { return job_.option_count; }
  OptionView option(std::size_t i) const noexcept {
    const RenderedOption &o = options_[job_.first_option + i];
    return {o.rendered_name ? strings_[o.name] : o.config_name, strings_[o.value]};
  }

private:
  const Job &job_;
  const Strings &strings_;
  const RenderedOption *options_;
};

// What one delivery renders: its strings (event identities included) and its jobs.
struct Rendered {
  Strings strings;
  std::vector<RenderedOption> options;
  std::vector<Job> jobs;
  // Fired rules that run nothing because a value could not be rendered, for the host's log (and
  // webhook-run-job's answer); `what` names the field and why, never a secret.
  struct Failure {
    const rules::Rule *rule;
    uint32_t event_index;
    std::string what;
  };
  std::vector<Failure> failures;

  JobView job(std::size_t i) const noexcept { return JobView(jobs[i], strings, options.data()); }
};

} // namespace rdwh::pipeline
