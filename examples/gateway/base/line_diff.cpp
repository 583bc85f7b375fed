#include "base/line_diff.hpp"

#include <algorithm>
#include <cstdint>

namespace rdwh::gateway {

namespace {

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  if (text.empty()) return out;
  for (size_t at = 0;;) {
    const size_t nl = text.find('\n', at);
    if (nl == std::string_view::npos) {
      if (at < text.size()) out.push_back(text.substr(at));
      return out;
    }
    out.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
}

// The middle parts a[0..n) and b[0..m), by the LCS table (suffix lengths).
void lcs_diff(const std::vector<std::string_view> &a, const std::vector<std::string_view> &b,
              std::vector<DiffLine> &out) {
  const size_t n = a.size(), m = b.size();
  if (n * m > kMaxDiffCells) {
    for (std::string_view l : a) out.push_back({'-', std::string(l)});
    for (std::string_view l : b) out.push_back({'+', std::string(l)});
    return;
  }
  std::vector<uint32_t> t((n + 1) * (m + 1), 0);
  auto at = [&](size_t i, size_t j) -> uint32_t & { return t[i * (m + 1) + j]; };
  for (size_t i = n; i-- > 0;)
    for (size_t j = m; j-- > 0;) at(i, j) = a[i] == b[j] ? at(i + 1, j + 1) + 1 : std::max(at(i + 1, j), at(i, j + 1));
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) out.push_back({' ', std::string(a[i])}), ++i, ++j;
    else if (i < n && (j == m || at(i + 1, j) >= at(i, j + 1))) out.push_back({'-', std::string(a[i++])});
    else out.push_back({'+', std::string(b[j++])}); // removed lines first, as diff -u shows them
  }
}

// Unchanged runs longer than the context around them become one '~' line.
std::vector<DiffLine> with_context(std::vector<DiffLine> all) {
  std::vector<DiffLine> out;
  for (size_t i = 0; i < all.size();) {
    if (all[i].op != ' ') {
      out.push_back(std::move(all[i++]));
      continue;
    }
    size_t end = i;
    while (end < all.size() && all[end].op == ' ') ++end;
    const size_t keep_head = i == 0 ? 0 : kDiffContext, keep_tail = end == all.size() ? 0 : kDiffContext;
    if (end - i <= keep_head + keep_tail + 1) {
      for (; i < end; ++i) out.push_back(std::move(all[i]));
      continue;
    }
    for (size_t k = 0; k < keep_head; ++k) out.push_back(std::move(all[i + k]));
    out.push_back({'~', std::to_string(end - i - keep_head - keep_tail) + " unchanged lines"});
    for (size_t k = end - keep_tail; k < end; ++k) out.push_back(std::move(all[k]));
    i = end;
  }
  return out;
}

} // namespace

std::vector<DiffLine> line_diff(std::string_view before, std::string_view after) {
  const std::vector<std::string_view> a = lines_of(before), b = lines_of(after);
  size_t head = 0;
  while (head < a.size() && head < b.size() && a[head] == b[head]) ++head;
  size_t tail = 0;
  while (tail < a.size() - head && tail < b.size() - head && a[a.size() - 1 - tail] == b[b.size() - 1 - tail]) ++tail;
  std::vector<DiffLine> all;
  for (size_t k = 0; k < head; ++k) all.push_back({' ', std::string(a[k])});
  lcs_diff({a.begin() + static_cast<long>(head), a.end() - static_cast<long>(tail)},
           {b.begin() + static_cast<long>(head), b.end() - static_cast<long>(tail)}, all);
  for (size_t k = a.size() - tail; k < a.size(); ++k) all.push_back({' ', std::string(a[k])});
  return with_context(std::move(all));
}

} // namespace rdwh::gateway
