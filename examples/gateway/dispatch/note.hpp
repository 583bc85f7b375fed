// Writing an execution's result back to PagerDuty: the decisions, pure (no clock, no randomness,
// no I/O; the note sender in dispatch/note_sender.hpp calls PagerDuty and records). Unit-tested.
//
// Exactly one note per execution: a row is claimed (status sending) before its call, so a sender
// that dies after posting leaves it sending; whoever claims it next finds it uncertain and first
// searches the incident's notes for its marker (found: posted; not found: posted now). A call of
// unknown outcome (a timeout, a reset after sending) leaves it uncertain the same way.
#pragma once

#include "pagerduty/client.hpp"
#include "store/outbox.hpp"

#include <cstdint>
#include <optional>

namespace rdwh::gateway::note {

// The backoff between tries (5xx, 429, no answer): doubles from kFirstRetryMs up to kMaxRetryMs.
inline constexpr int64_t kFirstRetryMs = 2000;
inline constexpr int64_t kMaxRetryMs = 10 * 60 * 1000;

// The wait before try `attempts` + 1 (attempts: those made so far, at least 1).
int64_t retry_delay_ms(int64_t attempts);

// What a call (post or resolve) made of `row`. ok: posted; retry: waiting after the backoff (a 429's
// hint when it is longer); unknown: waiting after the backoff, uncertain; stop: stopped with
// PagerDuty's reason; auth: waiting, due at once (the sender holds every call while the token is
// refused, as the dispatcher does for Rundeck's 401/403).
NoteUpdate after_call(const NoteRow &row, const PagerDutyOutcome &outcome, int64_t now_ms);

// An uncertain note's search for its marker: posted when found; nullopt when the search read the
// notes and the marker is not there (post it now); else as after_call (the search failed; the
// note stays uncertain).
std::optional<NoteUpdate> after_search(const NoteRow &row, const NoteSearch &search, int64_t now_ms);

// A claimed row left untried (the gateway stops, or its lease is half gone): waiting, due now,
// uncertain as it was.
NoteUpdate untried(const NoteRow &row, int64_t now_ms);

} // namespace rdwh::gateway::note
