#pragma once
// For unit tests only: reading test vectors (tests/vectors) and golden files (tests/golden)
// from disk. TOLLBOOTH_SOURCE_DIR is a compile definition of unit_tests (the project root).
// The namespace is `testdata`, not `testing`, so it never shadows GoogleTest's ::testing.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace tollbooth::testdata {

inline const std::filesystem::path kVectorsDir =
    std::filesystem::path(TOLLBOOTH_SOURCE_DIR) / "tests" / "vectors";
inline const std::filesystem::path kGoldenDir =
    std::filesystem::path(TOLLBOOTH_SOURCE_DIR) / "tests" / "golden";

// The whole file as bytes; throws (failing the test) when it cannot be read.
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace tollbooth::testdata
