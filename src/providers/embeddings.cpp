#include "providers/embeddings.hpp"

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/pchars.hpp>

#include "api/openai/errors.hpp"
#include "config/config.hpp"
#include "core/endpoint.hpp"
#include "providers/bedrock_chat.hpp"
#include "providers/bedrock_request.hpp"
#include "providers/bedrock_response.hpp"
#include "providers/openai_bedrock.hpp"
#include "providers/openai_wire.hpp"

namespace tollbooth {
namespace {

Error bad(std::string message, std::string param) {
  return make_error(ErrorKind::invalid_request, std::move(message), std::move(param),
                    "unsupported_value");
}

}  // namespace

Result<Ok> OpenAiWireEmbeddings::build(UpstreamRequest& out) {
  const ProviderConfig& p = in_.provider;
  if (p.kind == ProviderKind::azure) {
    const std::string& deployment = in_.route.upstream_model;
    std::string path = in_.endpoint.base_path;
    if (p.azure_api == AzureApi::v1) {
      path += "/openai/v1/embeddings";
    } else {
      path += "/openai/deployments/";
      path += boost::urls::encode(deployment, boost::urls::pchars);
      path += "/embeddings?api-version=";
      path += boost::urls::encode(p.api_version, boost::urls::pchars);
    }
    detail::build_openai_wire(in_.endpoint, path, {}, deployment, "api-key", {}, p.api_key,
                              in_.client_body, in_.facts.facts, out);
    return Ok{};
  }
  const std::string_view model = in_.route.upstream_model.empty()
                                     ? std::string_view(in_.facts.facts.model)
                                     : std::string_view(in_.route.upstream_model);
  detail::build_openai_wire(in_.endpoint, in_.endpoint.base_path, "/embeddings", model,
                            "Authorization", "Bearer ", p.api_key, in_.client_body, in_.facts.facts,
                            out);
  return Ok{};
}

BodyPlan OpenAiWireEmbeddings::plan(const ResponseHead& head) const {
  return openai_wire_plan(head, false);
}

Reply OpenAiWireEmbeddings::whole(const ResponseHead& head, std::string_view body) {
  Reply r;
  if (openai_wire_refused(head, r)) return r;
  r.status = head.status;
  if (!head.content_type.empty()) r.content_type = head.content_type;
  r.body = body;
  if (head.status == 200) r.usage = openai::usage_from_embeddings(body);
  return r;
}

Result<Ok> BedrockEmbeddings::build(UpstreamRequest& out) {
  const auto& f = in_.facts;
  if (f.token_input)
    return bad("route " + in_.route.provider +
                   " (Bedrock Titan) embeds text, not token arrays; send strings",
               "input");
  if (f.texts.size() != 1)
    return bad("route " + in_.route.provider +
                   " (Bedrock Titan) embeds one input per request; this one has " +
                   std::to_string(f.texts.size()),
               "input");
  if (f.dimensions && *f.dimensions != 256 && *f.dimensions != 512 && *f.dimensions != 1024)
    return bad("route " + in_.route.provider +
                   " (Bedrock Titan v2) gives 256, 512 or 1024 dimensions, not " +
                   std::to_string(*f.dimensions),
               "dimensions");
  boost::json::object b{{"inputText", f.texts[0]}, {"normalize", true}};
  if (f.dimensions) b["dimensions"] = *f.dimensions;
  body_ = boost::json::serialize(b);
  std::string path = bedrock::converse_path(in_.route.upstream_model, false);  // .../converse
  path.resize(path.size() - std::string_view("/converse").size());
  path_ = in_.endpoint.base_path + path + "/invoke";
  return write_bedrock_request(in_.provider, in_.endpoint, *in_.aws_auth, *in_.signer,
                               in_.unix_ms / 1000, path_, body_, "application/json", out);
}

BodyPlan BedrockEmbeddings::plan(const ResponseHead& head) const {
  return head.status == 200 ? BodyPlan::whole : BodyPlan::refusal;
}

Reply BedrockEmbeddings::whole(const ResponseHead& head, std::string_view body) {
  Reply r;
  if (head.status != 200) {
    bedrock_error_reply(head, body, r);
    return r;
  }
  boost::system::error_code ec;
  const auto doc = boost::json::parse(body, ec);
  const auto* o = !ec ? doc.if_object() : nullptr;
  const auto* vec = o ? o->if_contains("embedding") : nullptr;
  if (!vec || !vec->is_array()) {
    // A 200 that is not Titan's answer: it may have been billed, so not sent again.
    r.kind = Reply::Kind::final;
    r.error = make_error(ErrorKind::bad_gateway, "Bedrock's InvokeModel answer has no embedding");
    return r;
  }
  std::vector<double> values;
  values.reserve(vec->get_array().size());
  for (const auto& v : vec->get_array())
    values.push_back(v.is_number() ? v.to_number<double>() : 0.0);
  std::int64_t tokens = 0;
  if (const auto* t = o->if_contains("inputTextTokenCount"); t && t->is_int64())
    tokens = t->get_int64();
  r.owned = openai::embeddings_answer(values, in_.facts.base64, in_.facts.facts.model, tokens);
  r.body = r.owned;
  Usage u;
  u.reported = o->if_contains("inputTextTokenCount") != nullptr;
  u.input_tokens = tokens;
  r.usage = u;
  return r;
}

}  // namespace tollbooth
