// Templates (ValueExpr): compile hostile template text and render it for a hostile event.
//
// Input: the first line is the template; the rest is the event's JSON (the fallback document when
// it does not parse) and also the raw body that ${raw} renders.
// Invariants: compile succeeds or throws SyntaxError; render never throws but for a documented
// limit, never leaves more than max_bytes in its output and reports truncation; a literal
// template renders the same for any event.
#include "fuzz_common.hpp"

#include "base/error.hpp"
#include "json/parse.hpp"
#include "pipeline/render.hpp"
#include "json/text.hpp"
#include "rules/value_expr.hpp"

#include <optional>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace rdwh;
  auto [template_text, doc_text] = fuzz::split_line(fuzz::as_view(data, size));

  rapidjson::Document doc;
  json::ParseLimits parse_limits;
  if (json::parse(doc_text, doc, parse_limits).failed) {
    rapidjson::Document fallback;
    FUZZ_CHECK(!json::parse(fuzz::fallback_document, fallback, parse_limits).failed);
    doc.Swap(fallback);
  }

  std::optional<rules::ValueExpr> expr;
  try {
    expr = rules::ValueExpr::compile(template_text);
  } catch (const SyntaxError &) {
    return 0;
  }
  FUZZ_CHECK(expr->text() == template_text);

  pipeline::Delivery delivery;
  delivery.body = doc_text;
  delivery.headers = {{"X-Webhook-Id", "wh-1"}, {"X-PagerDuty-Signature", "v1=00"}, {"x-empty", ""}};
  delivery.delivery_id = "d-1";
  delivery.webhook_name = "hook";
  delivery.project = "ops";
  delivery.sender = "203.0.113.9";
  delivery.received_unix_ms = 1714564800123;
  delivery.now_unix_ms = 1714564800000;
  pipeline::Event event;
  event.value = &doc;

  for (std::size_t max : {std::size_t{0}, std::size_t{7}, std::size_t{256}, std::size_t{1} << 20}) {
    std::string out = "prefix";
    const std::size_t before = out.size();
    const json::PathTable no_paths;
    pipeline::Selections selections(no_paths);
    Checked<pipeline::ValueRender> rendered = pipeline::render_value(*expr, event, delivery, selections, out, before + max);
    if (!rendered) continue; // a documented limit of a path
    if (rendered->failure) FUZZ_CHECK(!rendered->failure->empty()); // what Groovy would throw, said
    const bool fits = rendered->fits && !rendered->failure;
    FUZZ_CHECK(out.size() <= before + max);
    FUZZ_CHECK(out.compare(0, before, "prefix") == 0);
    if (expr->is_literal() && fits) {
      // A literal renders the same whatever the event.
      rapidjson::Document empty;
      empty.SetObject();
      std::string other = "prefix";
      pipeline::Event empty_event;
      empty_event.value = &empty;
      Checked<pipeline::ValueRender> again =
          pipeline::render_value(*expr, empty_event, delivery, selections, other, before + max);
      FUZZ_CHECK(again && again->fits && !again->failure);
      FUZZ_CHECK(other == out);
    }
  }
  return 0;
}
