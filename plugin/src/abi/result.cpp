#include "abi/result.hpp"

namespace rdwh::abi {
namespace {

rdwh_job_t to_job(const pipeline::JobView &job, const rdwh_option_t *options, bool signature_verified) {
  rdwh_job_t cj{};
  cj.struct_size = sizeof cj;
  cj.rule = str(job.rule());
  cj.rule_index = job.rule_index();
  cj.event_index = job.event_index();
  cj.event_id = str(job.event_id());
  cj.job_id = str(job.job_id());
  cj.options = job.option_count() ? options : nullptr;
  cj.option_count = job.option_count();
  cj.filter = str(job.filter());
  cj.as_user = str(job.as_user());
  cj.flags = signature_verified ? uint32_t{RDWH_JOB_SIGNED} : 0u;
  cj.event_key = str(job.event_key());
  cj.rule_key = str(job.rule_key());
  cj.resource_id = str(job.resource_id());
  cj.event_time_unix_ms = job.event_time_unix_ms();
  return cj;
}

} // namespace

ResultBox::ResultBox(pipeline::Outcome &&o) : rdwh_result_t{}, outcome(std::move(o)) {
  const std::size_t count = outcome.job_count();
  std::size_t option_count = 0;
  for (std::size_t i = 0; i < count; ++i) option_count += outcome.job(i).option_count();
  option_structs.reserve(option_count); // pointers into it are handed out below
  job_structs.reserve(count);
  job_pointers.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const pipeline::JobView job = outcome.job(i);
    const std::size_t first = option_structs.size();
    for (std::size_t k = 0; k < job.option_count(); ++k)
      option_structs.push_back({str(job.option(k).name), str(job.option(k).value)});
    job_structs.push_back(to_job(job, option_structs.data() + first, outcome.signature_verified));
    job_pointers.push_back(&job_structs.back());
  }
  struct_size = sizeof(rdwh_result_t);
  verdict = static_cast<rdwh_verdict>(outcome.verdict);
  http_status = outcome.http_status;
  content_type = str(outcome.content_type);
  body = str(outcome.body);
  job_count = job_structs.size();
  jobs = job_pointers.empty() ? nullptr : job_pointers.data();
  evaluation = str(outcome.explanation);
}

std::unique_ptr<ResultBox> make_result(pipeline::Outcome &&outcome) {
  return std::make_unique<ResultBox>(std::move(outcome));
}

} // namespace rdwh::abi
