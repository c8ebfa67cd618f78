#include "gateway/image_fetch.hpp"

#include <openssl/evp.h>

#include <boost/url/parse.hpp>
#include <chrono>

#include "config/config.hpp"
#include "core/text.hpp"
#include "gateway/gateway.hpp"
#include "gateway/relay.hpp"
#include "gateway/route_table.hpp"
#include "providers/upstream_request.hpp"
#include "server/client_conn.hpp"
#include "server/worker.hpp"

namespace tollbooth::gateway {
namespace {

using namespace std::chrono_literals;

Error image_error(std::string_view url, std::string_view why) {
  return make_error(ErrorKind::invalid_request,
                    "The image at " + excerpt_client_text(url, 256) +
                        " could not be fetched: " + std::string(why) + ".",
                    "messages", "invalid_image_url");
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// One connection target per image origin, kept per worker (a TLS context is costly to build).
// The cache is bounded: image origins are whatever clients write.
const UpstreamTarget& image_target(Gateway& w, const ResolvedRoute& route, std::string origin) {
  auto it = w.image_targets.find(origin);
  if (it != w.image_targets.end()) return *it->second;
  if (w.image_targets.size() >= 64) w.image_targets.clear();
  ProviderConfig p;
  p.name = "image " + origin;
  p.base_url = origin;
  p.ca_file = route.provider->ca_file;  // the route's own trust settings
  p.verify_tls = route.provider->verify_tls;
  p.connect_timeout = 5s;
  p.first_byte_timeout = 10s;
  p.idle_timeout = 10s;
  p.max_idle_connections = 4;
  auto target = make_upstream_target(p);
  return *w.image_targets.emplace(std::move(origin), std::move(target)).first->second;
}

Awaitable<Result<bedrock::FetchedImage>> fetch_one(Gateway& g, ClientConn& c,
                                                   const ResolvedRoute& route,
                                                   const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || !parsed->has_authority() || parsed->host().empty())
    co_return image_error(url, "it is not a valid http(s) URL");
  std::string origin =
      std::string(parsed->scheme()) + "://" + std::string(parsed->encoded_host_and_port());
  const UpstreamTarget* target = nullptr;
  try {
    target = &image_target(g, route, std::move(origin));
  } catch (const std::exception&) {
    co_return image_error(url, "its host is not usable");
  }
  std::string path = parsed->encoded_path().empty() ? "/" : std::string(parsed->encoded_path());
  if (parsed->has_query()) path.append("?").append(parsed->encoded_query());
  UpstreamRequest req;
  req.head = "GET " + path + " HTTP/1.1\r\nHost: " + target->endpoint.host_header +
             "\r\nAccept: image/png, image/jpeg, image/gif, image/webp\r\nUser-Agent: tollbooth/" +
             TOLLBOOTH_VERSION "\r\n\r\n";
  std::unique_ptr<UpstreamConn> conn;
  Attempt head = co_await exchange_head(g, c, *target, req, conn, target->first_byte_timeout);
  if (!conn) co_return image_error(url, head.error().message);
  const UpstreamResponse& res = conn->response();
  if (head.upstream_status != 200) {
    conn->close();
    co_return image_error(url, "HTTP " + std::to_string(head.upstream_status));
  }
  auto length = conn->parser().content_length();
  if (length && *length > kMaxImageBytes) {
    conn->close();
    co_return image_error(url, "it is larger than Bedrock's 3.75 MB image limit");
  }
  BufferCharge charge(g.worker.buffers);
  Attempt body = co_await read_body(g, c, *conn, *target, charge, kMaxImageBytes);
  if (body.end != AttemptEnd::served) {
    conn->close();
    co_return image_error(url, "the download failed or is larger than 3.75 MB");
  }
  std::string_view format = image_format(res.first_content_type(), res.body);
  if (format.empty()) {
    conn->close();
    co_return image_error(url, "it is not a png, jpeg, gif or webp image");
  }
  bedrock::FetchedImage image{url, std::string(format), base64(res.body)};
  give_back(g, *target, std::move(conn));
  co_return image;
}

}  // namespace

std::string_view image_format(std::string_view content_type, std::string_view bytes) noexcept {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (type == "image/png") return "png";
  if (type == "image/jpeg" || type == "image/jpg") return "jpeg";
  if (type == "image/gif") return "gif";
  if (type == "image/webp") return "webp";
  if (bytes.starts_with("\x89PNG\r\n\x1a\n")) return "png";
  if (bytes.starts_with("\xff\xd8\xff")) return "jpeg";
  if (bytes.starts_with("GIF87a") || bytes.starts_with("GIF89a")) return "gif";
  if (bytes.size() >= 12 && bytes.starts_with("RIFF") && bytes.substr(8, 4) == "WEBP")
    return "webp";
  return {};
}

Awaitable<Result<std::vector<bedrock::FetchedImage>>> fetch_images(Gateway& g, ClientConn& c,
                                                                   const ResolvedRoute& route,
                                                                   std::string_view chat_body) {
  auto urls = bedrock::remote_image_urls(chat_body);
  if (!urls) co_return std::move(urls).error();
  std::vector<bedrock::FetchedImage> images;
  for (const auto& url : *urls) {
    if (c.aborted() != Abort::none) co_return make_error(ErrorKind::unavailable, "aborted");
    auto image = co_await fetch_one(g, c, route, url);
    if (!image) co_return std::move(image).error();
    images.push_back(std::move(image.value()));
  }
  co_return images;
}

}  // namespace tollbooth::gateway
