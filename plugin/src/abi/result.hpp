// A handled delivery as an rdwh_result_t: the C structs handed to the host, and the Outcome
// whose strings they point into. The host gets the rdwh_result_t base; release_result turns it
// back into its ResultBox with a static_cast (it is one: only make_result creates them).
#pragma once

#include "abi/convert.hpp"
#include "pipeline/handler.hpp"

#include <memory>
#include <vector>

namespace rdwh::abi {

struct ResultBox : rdwh_result_t {
  pipeline::Outcome outcome;
  std::vector<rdwh_job_t> job_structs;
  std::vector<const rdwh_job_t *> job_pointers;
  std::vector<rdwh_option_t> option_structs; // every job's, one after the other

  explicit ResultBox(pipeline::Outcome &&o);
};

std::unique_ptr<ResultBox> make_result(pipeline::Outcome &&outcome);

} // namespace rdwh::abi
