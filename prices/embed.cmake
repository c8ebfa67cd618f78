# Run by the build (cmake -P, see CMakeLists.txt): writes OUTPUT, a C++ file defining
# tollbooth::prices::bundled_price_text() as the bytes of INPUT (prices/catalog.yaml), so the
# binary needs no data file. Bytes rather than a string literal: any content embeds as it is.
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
set(text "// Generated from prices/catalog.yaml by prices/embed.cmake; do not edit.
#include <string_view>

#include \"prices/price_file.hpp\"

namespace tollbooth::prices {
namespace {
constexpr unsigned char kBytes[${size}] = {${bytes}};
}  // namespace

std::string_view bundled_price_text() noexcept {
  return {reinterpret_cast<const char*>(kBytes), sizeof kBytes};
}

}  // namespace tollbooth::prices
")
# Rewritten only when it changes, so an unchanged file does not recompile.
file(WRITE "${OUTPUT}.tmp" "${text}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
