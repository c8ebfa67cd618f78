#include "providers/openai_responses.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/pchars.hpp>
#include <charconv>

#include "api/openai/responses_response.hpp"
#include "config/config.hpp"
#include "core/endpoint.hpp"
#include "providers/openai_wire.hpp"

namespace tollbooth {
namespace {

// The number after the last `"sequence_number":` in an event's data, if any.
std::optional<long long> sequence_number(std::string_view data) {
  constexpr std::string_view kKey = "\"sequence_number\":";
  const auto at = data.rfind(kKey);
  if (at == std::string_view::npos) return std::nullopt;
  std::size_t p = at + kKey.size();
  while (p < data.size() && data[p] == ' ') ++p;
  long long n = 0;
  auto [end, ec] = std::from_chars(data.data() + p, data.data() + data.size(), n);
  if (ec != std::errc()) return std::nullopt;
  return n;
}

// The `"id":"..."` of a response.created event's response (the first `"id"` in it), when plain.
std::string response_id_of(std::string_view data) {
  constexpr std::string_view kKey = "\"id\":\"";
  const auto at = data.find(kKey);
  if (at == std::string_view::npos) return {};
  const auto begin = at + kKey.size();
  const auto end = data.find('"', begin);
  if (end == std::string_view::npos || end - begin > 200) return {};
  std::string_view id = data.substr(begin, end - begin);
  if (id.find('\\') != std::string_view::npos) return {};
  return std::string(id);
}

}  // namespace

void build_responses_request(const ProviderConfig& provider, const Endpoint& endpoint,
                             const RouteConfig& route, std::string_view client_body,
                             const openai::ChatInspection& facts, UpstreamRequest& out) {
  if (provider.kind == ProviderKind::azure) {
    const std::string& deployment = route.upstream_model;
    std::string path = endpoint.base_path;
    if (provider.azure_api == AzureApi::v1) {
      path += "/openai/v1/responses";
    } else {
      path += "/openai/responses?api-version=";
      path += boost::urls::encode(provider.api_version, boost::urls::pchars);
    }
    detail::build_openai_wire(endpoint, path, {}, deployment, "api-key", {}, provider.api_key,
                              client_body, facts, out);
    return;
  }
  std::string_view model = route.upstream_model.empty() ? std::string_view(facts.model)
                                                        : std::string_view(route.upstream_model);
  detail::build_openai_wire(endpoint, endpoint.base_path, "/responses", model, "Authorization",
                            "Bearer ", provider.api_key, client_body, facts, out);
}

void build_responses_delete(const ProviderConfig& provider, const Endpoint& endpoint,
                            std::string_view id, UpstreamRequest& out) {
  const bool azure = provider.kind == ProviderKind::azure;
  auto& h = out.head;
  h.assign("DELETE ").append(endpoint.base_path);
  if (!azure)
    h.append("/responses/");
  else if (provider.azure_api == AzureApi::v1)
    h.append("/openai/v1/responses/");
  else
    h.append("/openai/responses/");
  h.append(boost::urls::encode(id, boost::urls::pchars));
  if (azure && provider.azure_api != AzureApi::v1)
    h.append("?api-version=")
        .append(boost::urls::encode(provider.api_version, boost::urls::pchars));
  h.append(" HTTP/1.1\r\nHost: ").append(endpoint.host_header);
  h.append("\r\nContent-Length: 0\r\nAccept: application/json");
  if (!provider.api_key.empty()) {
    if (azure)
      h.append("\r\napi-key: ").append(provider.api_key);
    else
      h.append("\r\nAuthorization: Bearer ").append(provider.api_key);
  }
  h.append("\r\nUser-Agent: tollbooth/" TOLLBOOTH_VERSION "\r\n\r\n");
  out.spliced.clear();
  out.body = {};
}

Result<Ok> OpenAiWireResponses::build(UpstreamRequest& out) {
  build_responses_request(in_.provider, in_.endpoint, in_.route, in_.client_body, in_.facts, out);
  // The client's session headers, before the head's blank line.
  if (!in_.client_headers.empty()) out.head.insert(out.head.size() - 2, in_.client_headers);
  return Ok{};
}

BodyPlan OpenAiWireResponses::plan(const ResponseHead& head) const {
  return openai_wire_plan(head, in_.facts.stream);
}

Reply OpenAiWireResponses::whole(const ResponseHead& head, std::string_view body) {
  Reply r;
  if (openai_wire_refused(head, r)) return r;
  r.status = head.status;
  if (!head.content_type.empty()) r.content_type = head.content_type;
  r.body = body;
  if (head.status == 200) r.usage = openai::usage_from_response(body);
  return r;
}

void OpenAiWireResponses::feed(std::string_view bytes, std::string& out) {
  if (done_) return;
  for (const auto& ev : sse_.feed(bytes)) {
    if (!ev.data.empty()) {
      if (auto n = sequence_number(ev.data)) sequence_ = *n;
      if (response_id_.empty() && ev.type == "response.created")
        response_id_ = response_id_of(ev.data);
      const openai::ResponsesEvent info = openai::classify_responses_event(ev.type, ev.data);
      if (info.usage) usage_ = *info.usage;
      if (info.kind == openai::ResponsesEventKind::completed ||
          info.kind == openai::ResponsesEventKind::incomplete ||
          info.kind == openai::ResponsesEventKind::failed) {
        terminal_ = true;
      }
    }
    out.append(ev.raw);
    if (terminal_) {
      // The answer is over: the terminal event is the stream's last bytes for the client (the
      // Responses front keeps the response before they go), and nothing after it is relayed.
      done_ = true;
      return;
    }
  }
}

void OpenAiWireResponses::end(std::string& out) {
  if (done_) return;
  if (!terminal_) {
    // The upstream's stream ended without saying how the response ended (a bare `error` event
    // at most): the client still gets the terminal event it waits for.
    end_failed(make_error(ErrorKind::bad_gateway,
                          "the upstream's stream ended before the response was complete"),
               out);
    return;
  }
  done_ = true;
}

void OpenAiWireResponses::fail(Error error, std::string& out) {
  if (done_) return;
  if (terminal_) {  // the client has its answer; only the gateway saw the failure after it
    done_ = true;
    return;
  }
  end_failed(std::move(error), out);
}

void OpenAiWireResponses::end_failed(Error error, std::string& out) {
  const std::string_view id = response_id_.empty() ? in_.response_id : response_id_;
  out.append(openai::responses_failed_event(error, id, sequence_ + 1));
  error_ = std::move(error);
  done_ = true;
}

}  // namespace tollbooth
