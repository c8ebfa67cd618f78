#include "mock/mock_wire.hpp"

#include <string>

#include "mock/mock_json.hpp"

namespace tollbooth::mock {
namespace {

struct OpenAiFault {
  int status;
  std::string_view type;
  std::string_view code;
  std::string_view message;
};

// Messages close to what OpenAI sends for these statuses, so log lines look familiar.
constexpr OpenAiFault kOpenAiFaults[] = {
    {400, "invalid_request_error", "", "Bad request (mock fault)."},
    {401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided (mock fault)."},
    {403, "invalid_request_error", "unsupported_country_region_territory",
     "Country, region, or territory not supported (mock fault)."},
    {404, "invalid_request_error", "model_not_found",
     "The model does not exist or you do not have access to it (mock fault)."},
    {429, "requests", "rate_limit_exceeded",
     "Rate limit reached for requests. Please try again in 1s (mock fault)."},
    {500, "server_error", "",
     "The server had an error while processing your request. Sorry about that! (mock fault)"},
    {503, "service_unavailable_error", "server_is_overloaded",
     "The server is overloaded or not ready yet (mock fault)."},
};

std::string_view azure_fault_message(int status) {
  switch (status) {
    case 429:
      return "Requests to the ChatCompletions_Create Operation under Azure OpenAI API have "
             "exceeded call rate limit of your current OpenAI S0 pricing tier. Please retry "
             "after 1 second. (mock fault)";
    case 500: return "The server had an error while processing your request. (mock fault)";
    case 503:
      return "The service is temporarily unable to process your request. Please try again "
             "later. (mock fault)";
    default: return "The request failed (mock fault).";
  }
}

}  // namespace

void openai_error(Reply& reply, int status, std::string_view message, std::string_view type,
                  std::string_view param, std::string_view code) {
  reply.status = status;
  reply.content_type = "application/json";
  auto& out = reply.body;
  out += R"({"error":{"message":)";
  append_json_string(out, message);
  out += R"(,"type":)";
  append_json_string(out, type);
  out += R"(,"param":)";
  if (param.empty())
    out += "null";
  else
    append_json_string(out, param);
  out += R"(,"code":)";
  if (code.empty())
    out += "null";
  else
    append_json_string(out, code);
  out += "}}";
}

void azure_error(Reply& reply, int status, std::string_view code, std::string_view message) {
  reply.status = status;
  reply.content_type = "application/json";
  auto& out = reply.body;
  out += R"({"error":{"code":)";
  append_json_string(out, code);
  out += R"(,"message":)";
  append_json_string(out, message);
  out += "}}";
}

void fault_error(Reply& reply, CloudKind kind, int status) {
  if (kind == CloudKind::azure) {
    azure_error(reply, status, std::to_string(status), azure_fault_message(status));
    return;
  }
  for (const auto& f : kOpenAiFaults) {
    if (f.status == status) return openai_error(reply, status, f.message, f.type, {}, f.code);
  }
  const bool server = status >= 500;
  openai_error(reply, status,
               server ? "Upstream error (mock fault)." : "Request failed (mock fault).",
               server ? "server_error" : "invalid_request_error");
}

}  // namespace tollbooth::mock
