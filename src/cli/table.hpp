#pragma once
// Tables on a terminal, for the CLI's listings and reports.
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace tollbooth::cli {

using Table = std::vector<std::vector<std::string>>;

// Prints `rows` to stdout with columns aligned, two spaces apart; the first row is the header.
// Columns from `first_number` on hold numbers and are aligned to the right; the others to the
// left, the last one unpadded.
void print_table(const Table& rows,
                 std::size_t first_number = std::numeric_limits<std::size_t>::max());

}  // namespace tollbooth::cli
