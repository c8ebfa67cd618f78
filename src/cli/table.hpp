#pragma once
// Tables on a terminal, for the CLI's listings and reports.
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace tollbooth::cli {

using Table = std::vector<std::vector<std::string>>;

// Columns a string takes on a terminal: one per UTF-8 character.
std::size_t display_columns(std::string_view s) noexcept;

// `rows` as lines with columns aligned, two spaces apart (widths in display columns). Columns
// from `first_number` on hold numbers and are aligned to the right; the others to the left,
// the last one unpadded.
std::vector<std::string> table_lines(
    const Table& rows, std::size_t first_number = std::numeric_limits<std::size_t>::max());

// Prints table_lines(rows, first_number) to stdout; the first row is the header.
void print_table(const Table& rows,
                 std::size_t first_number = std::numeric_limits<std::size_t>::max());

}  // namespace tollbooth::cli
