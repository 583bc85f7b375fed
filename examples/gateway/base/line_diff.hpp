// A line diff (longest common subsequence), for people to read: the console's webhook history
// shows each version against the one before. Bounded: the lines both sides share at the start and
// the end are taken off first; when what is left would need more than kMaxDiffCells cells, it is
// shown as all removed then all added. Unchanged runs are cut to kDiffContext lines around a change.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace rdwh::gateway {

inline constexpr size_t kMaxDiffCells = 4'000'000; // the LCS table: (lines before) x (lines after)
inline constexpr size_t kDiffContext = 3;

struct DiffLine {
  char op = ' '; // ' ' unchanged, '-' removed, '+' added, '~' unchanged lines left out (text says how many)
  std::string text;
};

std::vector<DiffLine> line_diff(std::string_view before, std::string_view after);

} // namespace rdwh::gateway
