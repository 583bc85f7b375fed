// The one way a delivery is refused: a Rejection (what to answer the sender), carried by the
// Checked<T> every stage of the pipeline returns. No stage throws to refuse a delivery.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace rdwh {

// What the host should do with a delivery. Mirrors rdwh_verdict (checked by static_asserts in abi/).
enum class Verdict : int {
  accepted = 0,
  malformed = 1,
  signature_missing = 2,
  signature_invalid = 3,
  too_large = 4,
  limit_exceeded = 5,
  unprocessable = 6, // the config cannot run on this event (webhook-run-job: a value that cannot render)
};

struct Rejection {
  Verdict verdict = Verdict::malformed;
  int http_status = 400;
  std::string message; // for the sender: never a secret, a signature or payload bytes
};

// A value of T, or the Rejection that stopped the delivery.
template <class T> class [[nodiscard]] Checked {
public:
  Checked(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Checked(Rejection rejection) : state_(std::in_place_index<1>, std::move(rejection)) {}

  explicit operator bool() const noexcept { return state_.index() == 0; }
  T &operator*() { return std::get<0>(state_); }
  const T &operator*() const { return std::get<0>(state_); }
  T *operator->() { return &std::get<0>(state_); }
  const T *operator->() const { return &std::get<0>(state_); }
  Rejection &rejection() { return std::get<1>(state_); }

private:
  std::variant<T, Rejection> state_;
};

// A stage that yields nothing but may refuse.
template <> class [[nodiscard]] Checked<void> {
public:
  Checked() = default;
  Checked(Rejection rejection) : rejection_(std::move(rejection)) {}

  explicit operator bool() const noexcept { return !rejection_; }
  Rejection &rejection() { return *rejection_; }

private:
  std::optional<Rejection> rejection_;
};

// A limit of the config exceeded by what the sender sent (400, limit_exceeded).
inline Rejection over_limit(std::string message) {
  return {Verdict::limit_exceeded, 400, std::move(message)};
}

} // namespace rdwh
