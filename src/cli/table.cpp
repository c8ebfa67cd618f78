#include "cli/table.hpp"

#include <algorithm>
#include <iostream>

namespace tollbooth::cli {

std::size_t display_columns(std::string_view s) noexcept {
  std::size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

std::vector<std::string> table_lines(const Table& rows, std::size_t first_number) {
  std::vector<std::size_t> width;
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], display_columns(row[i]));
    }
  std::vector<std::string> lines;
  lines.reserve(rows.size());
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      const std::string pad(width[i] - display_columns(row[i]), ' ');
      if (i >= first_number) {
        line += pad + row[i];
      } else {
        line += row[i];
        if (i + 1 < row.size()) line += pad;
      }
      if (i + 1 < row.size()) line += "  ";
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

void print_table(const Table& rows, std::size_t first_number) {
  for (const std::string& line : table_lines(rows, first_number)) std::cout << line << "\n";
}

}  // namespace tollbooth::cli
