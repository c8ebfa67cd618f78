#include "mock/mock_handler.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <string>

#include "mock/mock_answer.hpp"
#include "mock/mock_bedrock.hpp"
#include "mock/mock_chat.hpp"
#include "mock/mock_embeddings.hpp"
#include "mock/mock_json.hpp"
#include "mock/mock_responses.hpp"
#include "mock/mock_wire.hpp"

namespace tollbooth::mock {
namespace {

enum class Endpoint {
  none,
  openai_chat,
  openai_models,
  openai_responses,
  openai_response,  // /v1/responses/{id}: DELETE (deployment holds the id)
  openai_embeddings,
  azure_chat,
  azure_embeddings,     // /openai/deployments/{d}/embeddings?api-version=
  azure_v1_embeddings,  // /openai/v1/embeddings
  azure_responses,      // /openai/v1/responses, or /openai/responses?api-version=
  azure_response,       // /openai/v1/responses/{id} or /openai/responses/{id}: DELETE
  azure_v1_chat,
  azure_models,
  bedrock_converse,
  bedrock_stream,
  bedrock_invoke
};

// Listed by an OpenAI cloud's /v1/models when its config names none (it accepts any model).
constexpr std::string_view kDefaultModels[] = {"gpt-4o", "gpt-4o-mini", "gpt-4.1", "o4-mini"};

constexpr std::string_view kAzureDenied =
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a "
    "valid key for an active subscription and use a correct regional API endpoint for your "
    "resource.";
constexpr std::string_view kDeploymentNotFound =
    "The API deployment for this resource does not exist. If you created the deployment within "
    "the last 5 minutes, please wait a moment and try again.";

bool has_api_version(std::string_view query) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto item = query.substr(0, amp);
    if (item.size() > 12 && item.substr(0, 12) == "api-version=") return true;
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
  return false;
}

Endpoint azure_endpoint(std::string_view rest, std::string_view& deployment) {
  if (rest == "/openai/v1/chat/completions") return Endpoint::azure_v1_chat;
  if (rest == "/openai/v1/models") return Endpoint::azure_models;
  if (rest == "/openai/v1/responses" || rest == "/openai/responses")
    return Endpoint::azure_responses;
  for (std::string_view head :
       {std::string_view("/openai/v1/responses/"), std::string_view("/openai/responses/")}) {
    if (rest.size() > head.size() && rest.substr(0, head.size()) == head) {
      deployment = rest.substr(head.size());
      return Endpoint::azure_response;
    }
  }
  if (rest == "/openai/v1/embeddings") return Endpoint::azure_v1_embeddings;
  constexpr std::string_view head = "/openai/deployments/";
  for (auto [tail, endpoint] :
       {std::pair{std::string_view("/chat/completions"), Endpoint::azure_chat},
        std::pair{std::string_view("/embeddings"), Endpoint::azure_embeddings}}) {
    if (rest.size() <= head.size() + tail.size() || rest.substr(0, head.size()) != head ||
        rest.substr(rest.size() - tail.size()) != tail) {
      continue;
    }
    deployment = rest.substr(head.size(), rest.size() - head.size() - tail.size());
    return deployment.find('/') == std::string_view::npos ? endpoint : Endpoint::none;
  }
  return Endpoint::none;
}

// /model/{modelId}/converse[-stream]; the id stays percent-encoded, one path segment.
Endpoint bedrock_endpoint(std::string_view rest, std::string_view& model) {
  constexpr std::string_view head = "/model/";
  if (rest.size() <= head.size() || rest.substr(0, head.size()) != head) return Endpoint::none;
  rest.remove_prefix(head.size());
  const auto slash = rest.find('/');
  if (slash == 0 || slash == std::string_view::npos) return Endpoint::none;
  model = rest.substr(0, slash);
  const auto op = rest.substr(slash);
  if (op == "/converse") return Endpoint::bedrock_converse;
  if (op == "/converse-stream") return Endpoint::bedrock_stream;
  if (op == "/invoke") return Endpoint::bedrock_invoke;
  return Endpoint::none;
}

// The model an Azure deployment reports; nullopt when the cloud has no such deployment.
std::optional<std::string_view> underlying_model(const CloudConfig& cloud, std::string_view dep) {
  if (cloud.deployments.empty()) return dep;
  for (const auto& [name, model] : cloud.deployments) {
    if (name == dep) return std::string_view(model);
  }
  return std::nullopt;
}

std::string_view bearer_token(std::string_view authorization) {
  constexpr std::string_view scheme = "Bearer ";
  if (authorization.size() <= scheme.size()) return {};
  for (std::size_t i = 0; i < scheme.size(); ++i) {  // the scheme is case-insensitive
    if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
        std::tolower(static_cast<unsigned char>(scheme[i]))) {
      return {};
    }
  }
  return authorization.substr(scheme.size());
}

// POST .../responses on an OpenAI or Azure cloud: the chat answer's text and usage, as a
// response object or its event stream.
void responses_reply(const CloudConfig& c, const MockRequest& req, std::uint64_t n, Reply& reply) {
  auto input = parse_responses_input(req.body);
  if (!input) {
    const auto& e = input.error();
    return openai_error(reply, 400, e.message, "invalid_request_error", e.param, e.code);
  }
  const ChatInput& chat = input->chat;
  if (c.kind == CloudKind::azure && !underlying_model(c, chat.model)) {
    return azure_error(reply, 404, "DeploymentNotFound", kDeploymentNotFound);
  }
  // A cloud knows only the responses it made: their ids name it ("resp_mock_<cloud>_<n>"), so a
  // conversation continued at another cloud is refused, as OpenAI refuses an id it never made.
  const std::string mine = "resp_mock_" + c.name + "_";
  if (!input->previous_response_id.empty() && !input->previous_response_id.starts_with(mine)) {
    return openai_error(
        reply, 400, "Previous response with id '" + input->previous_response_id + "' not found.",
        "invalid_request_error", "previous_response_id", "previous_response_not_found");
  }
  const std::string id = mine + std::to_string(n);
  const Answer answer = make_answer(c.name, chat);
  const ResponseMeta meta{id, chat.model, kCreated};
  append_usage_object(reply.usage, answer);
  reply.usage_model = chat.model;
  if (!chat.stream) return render_response(meta, answer, input->turn, reply.body);
  reply.stream = true;
  reply.content_type = "text/event-stream";
  reply.add_header("cache-control", "no-cache");
  reply.event_delay_ms = c.stream_delay_ms;
  reply.events = render_response_stream(meta, answer, input->turn);
  reply.usage_reported = true;
  reply.usage_event = static_cast<int>(reply.events.size()) - 1;  // the terminal event
}

// DELETE .../responses/{id} on an OpenAI or Azure cloud: a response this cloud made (its id names
// the cloud, as responses_reply makes them) is deleted; any other is OpenAI's 404.
void delete_response(const CloudConfig& c, std::string_view id, Reply& reply) {
  const std::string mine = "resp_mock_" + c.name + "_";
  if (!id.starts_with(mine)) {
    return openai_error(reply, 404, "Response with id '" + std::string(id) + "' not found.",
                        "invalid_request_error");
  }
  reply.body = R"({"id":")" + std::string(id) + R"(","object":"response","deleted":true})";
}

bool key_accepted(const CloudConfig& cloud, std::string_view key) {
  return !key.empty() && (cloud.api_key.empty() || key == cloud.api_key);
}

}  // namespace

struct MockHandler::Route {
  std::size_t cloud = 0;
  Endpoint endpoint = Endpoint::none;
  std::string_view deployment;
  bool api_version = false;
};

MockHandler::MockHandler(MockConfig config)
    : config_(std::move(config)),
      fail_counts_(std::make_unique<std::atomic<std::uint64_t>[]>(config_.clouds.size())) {
  // Longest prefix first, so /openai/... reaches a cloud mounted at /openai before an Azure
  // cloud mounted at the root claims it.
  std::stable_sort(config_.clouds.begin(), config_.clouds.end(),
                   [](const auto& a, const auto& b) { return a.prefix.size() > b.prefix.size(); });
}

void MockHandler::reset_counters() noexcept {
  for (std::size_t i = 0; i < config_.clouds.size(); ++i) fail_counts_[i].store(0);
}

auto MockHandler::route(std::string_view target) const -> std::optional<Route> {
  const auto q = target.find('?');
  const auto path = target.substr(0, q);
  std::optional<Route> fallback;  // a cloud whose prefix matched but no endpoint did
  for (std::size_t i = 0; i < config_.clouds.size(); ++i) {
    const auto& c = config_.clouds[i];
    if (path.substr(0, c.prefix.size()) != c.prefix) continue;
    const auto rest = path.substr(c.prefix.size());
    if (!rest.empty() && rest.front() != '/') continue;
    Route r{i, Endpoint::none, {}, false};
    if (c.kind == CloudKind::openai) {
      if (rest == "/v1/chat/completions")
        r.endpoint = Endpoint::openai_chat;
      else if (rest == "/v1/models")
        r.endpoint = Endpoint::openai_models;
      else if (rest == "/v1/responses")
        r.endpoint = Endpoint::openai_responses;
      else if (rest.size() > 14 && rest.substr(0, 14) == "/v1/responses/") {
        r.endpoint = Endpoint::openai_response;
        r.deployment = rest.substr(14);
      } else if (rest == "/v1/embeddings")
        r.endpoint = Endpoint::openai_embeddings;
    } else if (c.kind == CloudKind::bedrock) {
      r.endpoint = bedrock_endpoint(rest, r.deployment);
    } else {
      r.endpoint = azure_endpoint(rest, r.deployment);
      r.api_version = q != std::string_view::npos && has_api_version(target.substr(q + 1));
    }
    if (r.endpoint != Endpoint::none) return r;
    if (!fallback) fallback = r;
  }
  return fallback;
}

bool MockHandler::authorized(const Route& route, const MockRequest& req, Reply& reply) const {
  const auto& c = config_.clouds[route.cloud];
  if (c.kind == CloudKind::bedrock) {
    const auto token = bearer_token(req.authorization);
    if (!c.api_key.empty() && !token.empty()) {
      if (token == c.api_key) return true;
      bedrock_error(reply, 403, "UnrecognizedClientException",
                    "The security token included in the request is invalid.");
      return false;
    }
    if (c.access_key_id.empty()) {
      if (c.api_key.empty() || !token.empty()) return true;
      bedrock_error(reply, 403, "MissingAuthenticationTokenException",
                    "Missing Authentication Token");
      return false;
    }
    const auto failure = verify_sigv4(c, {req.method, req.target, req.headers, req.body,
                                          static_cast<std::int64_t>(std::time(nullptr))});
    if (failure.type.empty()) return true;
    bedrock_error(reply, failure.status, failure.type, failure.message);
    return false;
  }
  if (c.kind == CloudKind::azure) {
    // The v1 form also takes the key as a bearer token, as the stock OpenAI client sends it.
    std::string_view key = req.api_key;
    if (key.empty() && route.endpoint != Endpoint::azure_chat &&
        route.endpoint != Endpoint::azure_embeddings)
      key = bearer_token(req.authorization);
    if (key_accepted(c, key)) return true;
    azure_error(reply, 401, "401", kAzureDenied);
    return false;
  }
  const auto key = bearer_token(req.authorization);
  if (key_accepted(c, key)) return true;
  if (key.empty()) {
    openai_error(reply, 401,
                 "You didn't provide an API key. You need to provide your API key in an "
                 "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                 "invalid_request_error", {}, "invalid_api_key");
  } else {
    std::string msg = "Incorrect API key provided: ***";
    msg.append(key.substr(key.size() > 4 ? key.size() - 4 : key.size()));
    msg += ". You can find your API key at https://platform.openai.com/account/api-keys.";
    openai_error(reply, 401, msg, "invalid_request_error", {}, "invalid_api_key");
  }
  return false;
}

// Returns true when the request should go on to be answered (possibly slowed, stalled or cut),
// false when the fault has already decided the reply.
bool MockHandler::apply_fault(std::size_t cloud, const MockRequest& req, Reply& reply) {
  const auto& c = config_.clouds[cloud];
  FaultSpec spec = c.fault;
  if (req.fault) {
    auto parsed = parse_fault_spec(*req.fault);
    if (!parsed && c.kind == CloudKind::bedrock) {
      bedrock_error(reply, 400, "ValidationException",
                    "invalid x-mock-fault header: " + parsed.error().message);
      return false;
    }
    if (!parsed) {
      openai_error(reply, 400, "invalid x-mock-fault header: " + parsed.error().message,
                   "invalid_request_error", "x-mock-fault");
      return false;
    }
    spec = *parsed;
  }
  if (spec.none()) return true;
  if (spec.fail_first >= 0 &&
      fail_counts_[cloud].fetch_add(1) >= static_cast<std::uint64_t>(spec.fail_first)) {
    return true;
  }
  reply.add_header("x-mock-fault-applied", to_string(spec));
  reply.latency_ms = spec.latency_ms;
  reply.stall_ms = spec.stall_ms;
  reply.drop_after = spec.drop_after;
  int retry_after = spec.retry_after_s;
  if (retry_after < 0 && spec.status == 429) retry_after = 1;
  if (retry_after >= 0) reply.add_header("retry-after", std::to_string(retry_after));
  if (spec.close) {
    reply.close_without_reply = true;
    return false;
  }
  if (spec.status != 0) {
    if (c.kind == CloudKind::bedrock)
      bedrock_fault_error(reply, spec.status);
    else
      fault_error(reply, c.kind, spec.status);
    return false;
  }
  reply.stream_exception = spec.exception;
  return true;
}

void MockHandler::converse(const Route& route, const MockRequest& req, Reply& reply) {
  const auto& c = config_.clouds[route.cloud];
  const auto model_id = percent_decode(route.deployment);
  if (model_id.size() > 2048) {
    return bedrock_error(reply, 400, "ValidationException",
                         "1 validation error detected: Value at 'modelId' failed to satisfy "
                         "constraint: Member must have length less than or equal to 2048");
  }
  auto input = parse_converse_input(req.body);
  if (!input) return bedrock_error(reply, 400, "ValidationException", input.error().message);
  const auto answer = make_converse_answer(c.name, *input);
  const std::string exception = std::move(reply.stream_exception);
  reply.stream_exception.clear();
  if (route.endpoint == Endpoint::bedrock_converse) {
    if (!exception.empty()) {
      return bedrock_error(
          reply, bedrock_exception_status(exception),
          std::string(1,
                      static_cast<char>(std::toupper(static_cast<unsigned char>(exception[0])))) +
              exception.substr(1),
          "The request failed (mock fault).");
    }
    append_converse_usage(reply.usage, answer);
    reply.usage_model = model_id;
    return render_converse(answer, reply.body);
  }
  reply.stream = true;
  reply.content_type = "application/vnd.amazon.eventstream";
  reply.event_delay_ms = c.stream_delay_ms;
  reply.events = render_converse_stream(answer);
  if (!exception.empty()) {
    reply.events.resize(1);
    reply.events.push_back(render_stream_exception(exception));
    return;  // no metadata event: the answer reports no usage
  }
  append_converse_usage(reply.usage, answer);
  reply.usage_model = model_id;
  reply.usage_event = static_cast<int>(reply.events.size()) - 1;  // metadata is the last
}

void MockHandler::models(const Route& route, Reply& reply) const {
  const auto& c = config_.clouds[route.cloud];
  std::vector<std::string_view> ids;
  if (c.kind == CloudKind::azure) {
    for (const auto& d : c.deployments) ids.push_back(d.first);
  } else if (!c.models.empty()) {
    ids.assign(c.models.begin(), c.models.end());
  } else {
    ids.assign(std::begin(kDefaultModels), std::end(kDefaultModels));
  }
  auto& out = reply.body;
  out = R"({"object":"list","data":[)";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += R"({"id":)";
    append_json_string(out, ids[i]);
    out += R"(,"object":"model","created":)";
    append_int(out, kCreated);
    out += R"(,"owned_by":)";
    append_json_string(out, c.name);
    out.push_back('}');
  }
  out += "]}";
}

void MockHandler::chat(const Route& route, const MockRequest& req, std::uint64_t n, Reply& reply) {
  const auto& c = config_.clouds[route.cloud];
  auto input = parse_chat_input(req.body, route.endpoint != Endpoint::azure_chat);
  if (!input) {
    const auto& e = input.error();
    return openai_error(reply, 400, e.message, "invalid_request_error", e.param, e.code);
  }
  std::string_view model = input->model;
  if (c.kind == CloudKind::azure) {
    const auto deployment = route.endpoint == Endpoint::azure_chat ? route.deployment : model;
    const auto underlying = underlying_model(c, deployment);
    if (!underlying) return azure_error(reply, 404, "DeploymentNotFound", kDeploymentNotFound);
    model = *underlying;
  } else if (!c.models.empty() &&
             std::find(c.models.begin(), c.models.end(), model) == c.models.end()) {
    return openai_error(
        reply, 404,
        "The model `" + input->model + "` does not exist or you do not have access to it.",
        "invalid_request_error", {}, "model_not_found");
  }
  const auto id = "chatcmpl-mock-" + std::to_string(n);
  const auto answer = make_answer(c.name, *input);
  const AnswerMeta meta{c.kind == CloudKind::azure ? Dialect::azure : Dialect::openai, id, model,
                        input->include_usage};
  append_usage_object(reply.usage, answer);
  reply.usage_model = route.endpoint == Endpoint::azure_chat ? route.deployment : input->model;
  if (!input->stream) return render_completion(meta, answer, reply.body);
  reply.stream = true;
  reply.content_type = "text/event-stream";
  reply.add_header("cache-control", "no-cache");
  reply.event_delay_ms = c.stream_delay_ms;
  reply.events = render_stream(meta, answer);
  // The usage chunk comes just before [DONE], and only when the request asked for it.
  reply.usage_reported = input->include_usage;
  if (input->include_usage) reply.usage_event = static_cast<int>(reply.events.size()) - 2;
}

void MockHandler::handle(const MockRequest& req, Reply& reply) {
  const auto path = req.target.substr(0, req.target.find('?'));
  const auto r = route(req.target);
  if (r) reply.cloud = &config_.clouds[r->cloud];
  if (!r || r->endpoint == Endpoint::none) {
    if (r && reply.cloud->kind == CloudKind::azure) {
      return azure_error(reply, 404, "404", "Resource not found");
    }
    if (r && reply.cloud->kind == CloudKind::bedrock) {
      return bedrock_error(reply, 404, "UnknownOperationException", "Unknown operation");
    }
    return openai_error(reply, 404,
                        "Invalid URL (" + std::string(req.method) + " " + std::string(path) + ")",
                        "invalid_request_error");
  }
  const auto& c = *reply.cloud;
  reply.add_header("x-mock-cloud", c.name);
  const auto n = next_id_.fetch_add(1) + 1;
  reply.seq = n;
  if (c.kind == CloudKind::bedrock) {
    char id[40];
    std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012llu",
                  static_cast<unsigned long long>(n % 1'000'000'000'000ULL));
    reply.add_header("x-amzn-RequestId", id);
  } else {
    reply.add_header(c.kind == CloudKind::azure ? "apim-request-id" : "x-request-id",
                     "req-mock-" + std::to_string(n));
  }
  const bool is_models =
      r->endpoint == Endpoint::openai_models || r->endpoint == Endpoint::azure_models;
  const bool is_item =
      r->endpoint == Endpoint::openai_response || r->endpoint == Endpoint::azure_response;
  if (req.method != (is_models ? "GET" : is_item ? "DELETE" : "POST")) {
    if (c.kind == CloudKind::bedrock) {
      return bedrock_error(reply, 405, "UnknownOperationException", "Method not allowed");
    }
    return openai_error(
        reply, 405,
        "Invalid method for URL (" + std::string(req.method) + " " + std::string(path) + ")",
        "invalid_request_error");
  }
  // Azure answers a dated-API call without api-version as an unknown resource, before any
  // key check (PROTOCOLS.md §4.1).
  if ((r->endpoint == Endpoint::azure_chat || r->endpoint == Endpoint::azure_embeddings ||
       (r->endpoint == Endpoint::azure_responses &&
        path.substr(path.size() - 17) == "/openai/responses")) &&
      !r->api_version) {
    return azure_error(reply, 404, "404", "Resource not found");
  }
  if (!authorized(*r, req, reply)) return;
  if ((r->endpoint == Endpoint::azure_chat || r->endpoint == Endpoint::azure_embeddings) &&
      !underlying_model(c, r->deployment)) {
    return azure_error(reply, 404, "DeploymentNotFound", kDeploymentNotFound);
  }
  if (!apply_fault(r->cloud, req, reply)) return;
  if (is_models) return models(*r, reply);
  if (is_item) return delete_response(c, r->deployment, reply);
  if (r->endpoint == Endpoint::bedrock_invoke) {
    reply.usage_model = percent_decode(r->deployment);
    return titan_embeddings(req.body, reply);
  }
  if (c.kind == CloudKind::bedrock) return converse(*r, req, reply);
  if (r->endpoint == Endpoint::openai_embeddings || r->endpoint == Endpoint::azure_embeddings ||
      r->endpoint == Endpoint::azure_v1_embeddings)
    return openai_embeddings(req.body, r->endpoint != Endpoint::azure_embeddings, reply);
  if (r->endpoint == Endpoint::openai_responses || r->endpoint == Endpoint::azure_responses)
    return responses_reply(c, req, n, reply);
  chat(*r, req, n, reply);
}

}  // namespace tollbooth::mock
