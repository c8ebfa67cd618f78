#include "cli/table.hpp"

#include <algorithm>
#include <iostream>

namespace tollbooth::cli {

void print_table(const Table& rows, std::size_t first_number) {
  std::vector<std::size_t> width;
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], row[i].size());
    }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      const std::string pad(width[i] - row[i].size(), ' ');
      if (i >= first_number) {
        line += pad + row[i];
      } else {
        line += row[i];
        if (i + 1 < row.size()) line += pad;
      }
      if (i + 1 < row.size()) line += "  ";
    }
    std::cout << line << "\n";
  }
}

}  // namespace tollbooth::cli
