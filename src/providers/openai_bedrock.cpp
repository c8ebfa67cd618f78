#include "providers/openai_bedrock.hpp"

#include <array>
#include <charconv>

#include "config/config.hpp"
#include "core/endpoint.hpp"

namespace tollbooth {
namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kEventStream = "application/vnd.amazon.eventstream";

}  // namespace

Result<Ok> build_bedrock_chat(const ProviderConfig& provider, const Endpoint& endpoint,
                              const RouteConfig& route, const aws::Auth& auth, aws::Signer& signer,
                              std::int64_t unix_time, std::string_view client_body,
                              std::span<const bedrock::FetchedImage> images, BedrockCall& out) {
  bedrock::ConverseOptions options;
  options.drop_unsupported = route.drop_unsupported;
  options.fetch_images = route.fetch_images;
  options.images = images;
  auto converse = bedrock::to_converse(client_body, route.upstream_model, options);
  if (!converse) return std::move(converse).error();
  out.converse = std::move(converse.value());
  return write_bedrock_request(provider, endpoint, auth, signer, unix_time,
                               endpoint.base_path + out.converse.path, out.converse.body,
                               out.converse.stream ? kEventStream : kJson, out.wire);
}

Result<Ok> write_bedrock_request(const ProviderConfig& provider, const Endpoint& endpoint,
                                 const aws::Auth& auth, aws::Signer& signer, std::int64_t unix_time,
                                 std::string_view path, std::string_view body,
                                 std::string_view accept, UpstreamRequest& out) {
  char len[24];
  auto [len_end, ec] = std::to_chars(len, len + sizeof len, body.size());
  std::string& h = out.head;
  h.clear();
  h.append("POST ").append(path).append(" HTTP/1.1\r\nHost: ").append(endpoint.host_header);
  h.append("\r\nContent-Type: ").append(kJson);
  h.append("\r\nContent-Length: ").append(len, len_end);
  h.append("\r\nAccept: ").append(accept);
  if (auth.mode == aws::AuthMode::bearer) {
    h.append("\r\nAuthorization: ").append(aws::bearer_authorization(auth.bearer_token));
  } else {
    // Host, Content-Type and Accept are signed, as the AWS SDKs sign them; the signer adds
    // X-Amz-Date (and the session token) and the Authorization line.
    std::array<aws::HeaderRef, 3> headers{
        {{"host", endpoint.host_header}, {"content-type", kJson}, {"accept", accept}}};
    aws::SigningRequest request{"POST", path, "", headers, body, ""};
    aws::SigningParams params;
    params.region = provider.region;
    params.service = "bedrock";
    params.unix_time = unix_time;
    auto signed_headers = signer.sign(request, auth.credentials, params);
    if (!signed_headers) {
      Error e = std::move(signed_headers).error();
      e.retryable = true;
      return e;
    }
    signed_headers->for_each([&](std::string_view name, std::string_view value) {
      h.append("\r\n").append(name).append(": ").append(value);
    });
  }
  h.append("\r\nUser-Agent: tollbooth/" TOLLBOOTH_VERSION "\r\n\r\n");
  out.body = body;
  return Ok{};
}

}  // namespace tollbooth
