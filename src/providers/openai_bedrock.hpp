#pragma once
// OpenAI chat front → AWS Bedrock Converse / ConverseStream: the whole upstream request for one
// attempt, translated (bedrock_request.hpp) and authenticated (SigV4 or a Bedrock API key).
// Pure: the time comes in as a value, so a signed request is reproducible in tests.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "aws/credentials.hpp"
#include "aws/sigv4.hpp"
#include "core/result.hpp"
#include "providers/bedrock_request.hpp"
#include "providers/upstream_request.hpp"

namespace tollbooth {

struct BedrockCall {
  UpstreamRequest wire;               // head and body to send (body points into `converse.body`)
  bedrock::ConverseRequest converse;  // what the answer's translators need (json tool, usage)
};

// Translates `client_body` for the route's model id and writes the signed request for
// `endpoint` (its base path is part of the signed path). Translation errors are the client's
// (ErrorKind::invalid_request, naming the field); a signing failure is the gateway's
// configuration (retryable, so the next route may serve).
Result<Ok> build_bedrock_chat(const ProviderConfig& provider, const Endpoint& endpoint,
                              const RouteConfig& route, const aws::Auth& auth, aws::Signer& signer,
                              std::int64_t unix_time, std::string_view client_body,
                              std::span<const bedrock::FetchedImage> images, BedrockCall& out);

// The head of a JSON POST of `body` to Bedrock Runtime at `path` (the endpoint's base path
// included), authenticated as `auth` says: a Bedrock API key, or SigV4 (host, content-type and
// accept signed, as the AWS SDKs sign them). out.body is `body`, which must outlive it. A
// signing failure is retryable (the route's configuration, not the request).
Result<Ok> write_bedrock_request(const ProviderConfig& provider, const Endpoint& endpoint,
                                 const aws::Auth& auth, aws::Signer& signer, std::int64_t unix_time,
                                 std::string_view path, std::string_view body,
                                 std::string_view accept, UpstreamRequest& out);

}  // namespace tollbooth
