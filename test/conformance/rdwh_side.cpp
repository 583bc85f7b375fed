// rdwh's side of the conformance tests: answers the oracle's cases (test/conformance/oracle) with
// the built plugin, through its C ABI only (hostkit: dlopen, create, handle), so any internal
// restructuring of the plugin leaves it working.
//
// Cases on standard input and answers on standard output use the oracle's JSON lines (see
// RundeckOracle.java). The cases of one document go to the plugin in batches: one
// advanced-run-job config whose first rule has no conditions and one job option per path or
// template case (its rendered value is the answer), and whose second rule holds one condition per
// condition case (the explanation, RDWH_REQUEST_EXPLAIN, gives each one's `satisfied`). A batch
// the plugin refuses (a config error, or a delivery answered other than 200) is split in halves
// until the failing case stands alone; its answer is then the error.
#include "hostkit.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Case {
  std::string id, kind, doc, expr, condition, value;
};

struct Answer {
  enum class Kind { value, satisfied, error } kind = Kind::error;
  std::string text; // value or error message
  bool satisfied = false;
};

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_string(Writer &w, const std::string &s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

std::string member(const rapidjson::Value &v, const char *name) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                      : std::string();
}

// The advanced-run-job config asking for every case of `batch`.
std::string batch_config(const std::vector<const Case *> &batch) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("rules");
  w.StartArray();
  w.StartObject();
  w.Key("name");
  w.String("values");
  w.Key("jobId");
  w.String("conformance");
  w.Key("jobOptions");
  w.StartArray();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (batch[i]->kind == "condition") continue;
    w.StartObject();
    w.Key("name");
    write_string(w, "o" + std::to_string(i));
    w.Key("value");
    write_string(w, batch[i]->expr);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.StartObject();
  w.Key("name");
  w.String("conditions");
  w.Key("jobId");
  w.String("conformance");
  w.Key("policy");
  w.String("any");
  w.Key("conditions");
  w.StartArray();
  for (const Case *c : batch) {
    if (c->kind != "condition") continue;
    w.StartObject();
    w.Key("path");
    write_string(w, c->expr);
    w.Key("condition");
    write_string(w, c->condition);
    w.Key("value");
    write_string(w, c->value);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

class RdwhSide {
public:
  RdwhSide(const rdwh::host::Plugin &plugin, rdwh::host::Handler::Request request)
      : plugin_(plugin), request_(std::move(request)) {}

  // Answers every case of `batch` (all on one document, whose body is in request_), into `out`.
  void answer(const std::vector<const Case *> &batch, std::vector<Answer> &out) {
    std::string failure;
    if (try_batch(batch, out, failure)) return;
    if (batch.size() == 1) {
      out.push_back({Answer::Kind::error, failure, false});
      return;
    }
    const auto mid = batch.begin() + static_cast<std::ptrdiff_t>(batch.size() / 2);
    answer({batch.begin(), mid}, out);
    answer({mid, batch.end()}, out);
  }

private:
  bool try_batch(const std::vector<const Case *> &batch, std::vector<Answer> &out, std::string &failure) {
    rdwh::host::Services services;
    services.log = [](int, std::string_view) {};
    services.get_secret = [](std::string_view) { return std::optional<std::string>(); };
    std::unique_ptr<rdwh::host::Handler> handler;
    try {
      handler = std::make_unique<rdwh::host::Handler>(plugin_, "advanced-run-job", batch_config(batch), services);
    } catch (const rdwh::host::HostError &e) {
      failure = std::string("config: ") + e.what();
      return false;
    }
    rdwh::host::Result result = handler->handle(request_);
    if (result->http_status != 200) {
      failure = "delivery: " + std::string(rdwh::host::view(result->body));
      return false;
    }
    std::map<std::string, std::string, std::less<>> options;
    for (std::size_t j = 0; j < result->job_count; ++j) {
      const rdwh_job_t &job = *result->jobs[j];
      if (rdwh::host::view(job.rule) != "values") continue;
      for (std::size_t o = 0; o < job.option_count; ++o)
        options.emplace(rdwh::host::view(job.options[o].name), rdwh::host::view(job.options[o].value));
    }
    rapidjson::Document explanation;
    explanation.Parse(result->evaluation.data, result->evaluation.size);
    const rapidjson::Value *conditions = nullptr;
    std::string values_error; // why the values rule ran nothing: a value it could not render
    if (!explanation.HasParseError() && explanation.IsArray() && !explanation.Empty() && explanation[0].IsObject()) {
      auto rules = explanation[0].FindMember("rules");
      if (rules != explanation[0].MemberEnd() && rules->value.IsArray())
        for (const auto &rule : rules->value.GetArray()) {
          auto list = rule.FindMember("conditions");
          if (member(rule, "rule") == "conditions" && list != rule.MemberEnd() && list->value.IsArray())
            conditions = &list->value;
          if (member(rule, "rule") == "values") values_error = member(rule, "error");
        }
    }
    rapidjson::SizeType next_condition = 0;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (batch[i]->kind == "condition") {
        const rapidjson::Value *entry = conditions && next_condition < conditions->Size() ? &(*conditions)[next_condition++] : nullptr;
        auto satisfied = entry && entry->IsObject() ? entry->FindMember("satisfied") : rapidjson::Value::ConstMemberIterator();
        if (!entry || !entry->IsObject() || satisfied == entry->MemberEnd() || !satisfied->value.IsBool()) {
          failure = "the explanation lacks a condition";
          return false;
        }
        out.push_back({Answer::Kind::satisfied, {}, satisfied->value.GetBool()});
      } else {
        auto it = options.find("o" + std::to_string(i));
        if (it == options.end()) {
          failure = values_error.empty() ? "the values rule did not fire" : "render: " + values_error;
          return false;
        }
        out.push_back({Answer::Kind::value, it->second, false});
      }
    }
    return true;
  }

  const rdwh::host::Plugin &plugin_;
  rdwh::host::Handler::Request request_;
};

std::string read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void print_answer(const Case &c, const Answer &a) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("id");
  write_string(w, c.id);
  switch (a.kind) {
  case Answer::Kind::value: w.Key("value"); write_string(w, a.text); break;
  case Answer::Kind::satisfied: w.Key("satisfied"); w.Bool(a.satisfied); break;
  case Answer::Kind::error: w.Key("error"); write_string(w, a.text); break;
  }
  w.EndObject();
  std::cout << buf.GetString() << '\n';
}

} // namespace

int main(int argc, char **argv) {
  std::map<std::string, std::string> opts;
  for (int i = 1; i + 1 < argc; i += 2) opts[argv[i]] = argv[i + 1];
  if (!opts.count("--plugin") || !opts.count("--docs")) {
    std::cerr << "usage: rdwh_conformance --plugin FILE --docs DIR [--webhook-id ID] [--project P] [--sender S]"
                 " [--timestamp MS] [--batch N] < cases.jsonl\n";
    return 2;
  }
  try {
    std::vector<Case> cases;
    for (std::string line; std::getline(std::cin, line);) {
      if (line.empty()) continue;
      rapidjson::Document d;
      d.Parse(line.data(), line.size());
      if (d.HasParseError() || !d.IsObject()) throw std::runtime_error("not a JSON case: " + line);
      cases.push_back({member(d, "id"), member(d, "kind"), member(d, "doc"), member(d, "expr"), member(d, "condition"),
                       member(d, "value")});
    }
    auto plugin = rdwh::host::Plugin::load(opts["--plugin"]);
    const std::size_t batch_size = opts.count("--batch") ? std::stoul(opts["--batch"]) : 400;

    // Cases grouped by document, in order of first appearance; answers printed in input order.
    std::map<std::string, std::vector<std::size_t>> by_doc;
    std::vector<std::string> doc_order;
    for (std::size_t i = 0; i < cases.size(); ++i) {
      auto &list = by_doc[cases[i].doc];
      if (list.empty()) doc_order.push_back(cases[i].doc);
      list.push_back(i);
    }
    std::vector<Answer> answers(cases.size());
    for (const std::string &doc : doc_order) {
      rdwh::host::Handler::Request request;
      request.body = read_file(opts["--docs"] + "/" + doc + ".json");
      request.delivery_id = opts["--webhook-id"];
      request.project = opts["--project"];
      request.sender = opts["--sender"];
      request.received_unix_ms = opts.count("--timestamp") ? std::stoll(opts["--timestamp"]) : 0;
      request.explain = true;
      RdwhSide side(*plugin, request);
      const auto &indexes = by_doc[doc];
      for (std::size_t start = 0; start < indexes.size(); start += batch_size) {
        std::vector<const Case *> batch;
        for (std::size_t k = start; k < indexes.size() && k < start + batch_size; ++k) batch.push_back(&cases[indexes[k]]);
        std::vector<Answer> out;
        side.answer(batch, out);
        for (std::size_t k = 0; k < out.size(); ++k) answers[indexes[start + k]] = std::move(out[k]);
      }
    }
    for (std::size_t i = 0; i < cases.size(); ++i) print_answer(cases[i], answers[i]);
    return 0;
  } catch (const std::exception &e) {
    std::cerr << "rdwh_conformance: " << e.what() << '\n';
    return 1;
  }
}
