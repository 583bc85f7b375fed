#include "dispatch/note.hpp"

#include <algorithm>

namespace rdwh::gateway::note {

int64_t retry_delay_ms(int64_t attempts) {
  int64_t d = kFirstRetryMs;
  for (int64_t i = 1; i < attempts && d < kMaxRetryMs; ++i) d *= 2;
  return std::min(d, kMaxRetryMs);
}

namespace {

NoteUpdate update_of(const NoteRow &row, const char *status, int64_t next_ms) {
  NoteUpdate u;
  u.id = row.id;
  u.owner = row.owner;
  u.status = status;
  u.uncertain = row.uncertain;
  u.next_attempt_ms = next_ms;
  return u;
}

} // namespace

NoteUpdate after_call(const NoteRow &row, const PagerDutyOutcome &o, int64_t now_ms) {
  using Kind = PagerDutyOutcome::Kind;
  const int64_t backoff = std::max(retry_delay_ms(row.attempts), o.retry_after_ms);
  NoteUpdate u;
  switch (o.kind) {
  case Kind::ok:
    u = update_of(row, "posted", 0);
    u.uncertain = false;
    break;
  case Kind::stop: u = update_of(row, "stopped", 0); break;
  case Kind::auth: u = update_of(row, "waiting", now_ms); break;
  case Kind::unknown:
    u = update_of(row, "waiting", now_ms + backoff);
    u.uncertain = true; // it may have been posted: search for the marker before posting again
    break;
  case Kind::retry: u = update_of(row, "waiting", now_ms + backoff); break;
  }
  u.http_status = o.http_status;
  u.reason = o.kind == Kind::ok ? "" : o.reason;
  return u;
}

std::optional<NoteUpdate> after_search(const NoteRow &row, const NoteSearch &s, int64_t now_ms) {
  if (s.outcome.kind != PagerDutyOutcome::Kind::ok) {
    NoteUpdate u = after_call(row, s.outcome, now_ms);
    if (u.status == "stopped") u.reason = "cannot search the incident's notes: " + u.reason;
    u.uncertain = true;
    return u;
  }
  if (!s.found) return std::nullopt;
  NoteUpdate u = update_of(row, "posted", 0);
  u.uncertain = false;
  u.http_status = s.outcome.http_status;
  u.reason = "found on the incident (a post whose answer was lost)";
  return u;
}

NoteUpdate untried(const NoteRow &row, int64_t now_ms) { return update_of(row, "waiting", now_ms); }

} // namespace rdwh::gateway::note
