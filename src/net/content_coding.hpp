#pragma once
// Request bodies sent compressed (HTTP's Content-Encoding: gzip, deflate, zstd), decoded with
// zlib and libzstd under a limit on the decoded size, so a small body that expands without
// bound (a decompression bomb) costs at most that limit. Pure: bytes in, bytes out.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tollbooth::net {

struct CodingError {
  enum class Kind {
    unsupported,  // a coding this does not decode, or too many of them (415)
    too_large,    // the decoded body would pass the limit (413)
    malformed,    // the bytes are not what the coding says (400)
  };
  Kind kind;
  std::string message;  // for the client: names the coding and the limit, never the bytes
};

// The codings this decodes, as a client should read them in an error.
inline constexpr std::string_view kDecodedCodings = "gzip, x-gzip, deflate, zstd, identity";

// Decodes `body` in place as `content_encoding` (a Content-Encoding field's value: codings in
// the order they were applied, comma-separated, any case; "identity" changes nothing) says.
// Each decoded stage may hold at most `max_bytes`. On error, `body` is left as it was.
std::optional<CodingError> decode_content_coding(std::string_view content_encoding,
                                                 std::string& body, std::size_t max_bytes);

}  // namespace tollbooth::net
