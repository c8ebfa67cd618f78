#pragma once
// Downloads the http(s) image URLs of a chat request for a Bedrock route with `fetch_images`:
// Bedrock takes images only as bytes, so the gateway fetches them and hands them to the
// translator. I/O header: include only from gateway .cpp files.
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "net/asio.hpp"
#include "providers/bedrock_request.hpp"

namespace tollbooth {

class ClientConn;
struct ResolvedRoute;

namespace gateway {

class Gateway;

// Bedrock's own limit for one image (3.75 MB); a larger download is refused.
inline constexpr std::size_t kMaxImageBytes = 3'932'160;

// Fetches every distinct http(s) image URL in `chat_body`, one after another, each with a GET
// (10 s to the first byte, 10 s idle). A URL that does not answer 200 with a png, jpeg, gif or
// webp image of at most kMaxImageBytes is the client's error (400 naming the URL and why).
Awaitable<Result<std::vector<bedrock::FetchedImage>>> fetch_images(Gateway& g, ClientConn& c,
                                                                   const ResolvedRoute& route,
                                                                   std::string_view chat_body);

// The Bedrock image format of downloaded bytes: from the Content-Type when it names one, else
// from the file's magic bytes; empty when it is none of png, jpeg, gif, webp.
std::string_view image_format(std::string_view content_type, std::string_view bytes) noexcept;

}  // namespace gateway
}  // namespace tollbooth
