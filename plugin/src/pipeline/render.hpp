// Stage 6: the jobs of the fired rules, their values rendered from the compiled templates and
// JsonPaths into one buffer; and the view the ABI layer and the explanation read them through.
#pragma once

#include "base/reject.hpp"
#include "pipeline/delivery.hpp"
#include "pipeline/evaluate.hpp"
#include "pipeline/split.hpp"
#include "pipeline/strings.hpp"
#include "rules/config.hpp"
#include "rules/value_expr.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rdwh::pipeline {

struct Job {
  const rules::Rule *rule = nullptr;
  uint32_t event_index = 0;
  Text event_id, event_key, resource_id; // the event's (split.hpp)
  int64_t event_time_unix_ms = 0;
  Text job_id;
  uint32_t first_option = 0; // rule->options.size() values from Rendered::option_values
  Text filter;
  Text as_user;
};

struct OptionView {
  std::string_view name;
  std::string_view value;
};

// One job as a host sees it: names from the compiled config, values from the delivery's strings.
class JobView {
public:
  JobView(const Job &job, const Strings &strings, const Text *option_values) noexcept
      : job_(job), strings_(strings), option_values_(option_values) {}
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
  std::size_t option_count() const noexcept { return job_.rule->options.size(); }
  OptionView option(std::size_t i) const noexcept {
    return {job_.rule->options[i].name, strings_[option_values_[job_.first_option + i]]};
  }

private:
  const Job &job_;
  const Strings &strings_;
  const Text *option_values_;
};

// What one delivery renders: its strings (event identities included) and its jobs.
struct Rendered {
  Strings strings;
  std::vector<Text> option_values;
  std::vector<Job> jobs;

  JobView job(std::size_t i) const noexcept { return JobView(jobs[i], strings, option_values.data()); }
};

// Appends the value's rendering for `event` to `out`: a whole-value JsonPath as Rundeck's
// JsonPath values (JSON for lists and maps), a template expression as a Groovy GString would.
// Stops past `max_bytes` of `out` and yields false then; refuses only a path over its limits.
Checked<bool> render_value(const rules::ValueExpr &value, const Event &event, const Delivery &delivery,
                           std::string &out, std::size_t max_bytes);

// Renders the job of every fired rule; a rule whose jobId renders empty runs nothing (its trace
// says why). Refuses (400) a value over limits.maxValueBytes.
Checked<void> render(const rules::Config &config, const Split &split, Evaluation &evaluation,
                     const Delivery &delivery, Rendered &out);

} // namespace rdwh::pipeline
