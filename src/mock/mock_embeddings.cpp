#include "mock/mock_embeddings.hpp"

#include <openssl/evp.h>

#include <bit>
#include <boost/json.hpp>
#include <cmath>
#include <cstring>
#include <vector>

#include "mock/mock_bedrock.hpp"
#include "mock/mock_chat.hpp"
#include "mock/mock_json.hpp"
#include "mock/mock_wire.hpp"

namespace tollbooth::mock {
namespace {

namespace json = boost::json;

// The text's vector: FNV-1a of the text, then a value per dimension in [-1, 1), to 6 places.
std::vector<double> vector_of(std::string_view text, std::int64_t dims) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ULL;
  std::vector<double> v(static_cast<std::size_t>(dims));
  for (std::size_t i = 0; i < v.size(); ++i) {
    h = (h ^ (i + 1)) * 1099511628211ULL;
    v[i] = std::round((static_cast<double>(h >> 11) / 9007199254740992.0 * 2 - 1) * 1e6) / 1e6;
  }
  return v;
}

void append_vector(std::string& out, const std::vector<double>& v, bool base64) {
  if (base64) {
    std::string bytes(v.size() * 4, '\0');
    for (std::size_t i = 0; i < v.size(); ++i) {
      const std::uint32_t u = std::bit_cast<std::uint32_t>(static_cast<float>(v[i]));
      std::memcpy(bytes.data() + 4 * i, &u, 4);  // little-endian hosts only (x86-64, arm64)
    }
    std::string text(4 * ((bytes.size() + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    text.resize(static_cast<std::size_t>(n));
    append_json_string(out, text);
    return;
  }
  out += '[';
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    out += json::serialize(json::value(v[i]));
  }
  out += ']';
}

}  // namespace

void openai_embeddings(std::string_view body, bool model_required, Reply& reply) {
  boost::system::error_code ec;
  const auto doc = json::parse(body, ec, {}, deep_json());
  const auto* o = !ec ? doc.if_object() : nullptr;
  if (!o)
    return openai_error(reply, 400, "We could not parse the JSON body of your request.",
                        "invalid_request_error");
  const auto* model = o->if_contains("model");
  if (model_required && (!model || !model->is_string()))
    return openai_error(reply, 400, "you must provide a model parameter", "invalid_request_error",
                        "model", "missing_required_parameter");
  std::vector<std::string> texts;
  const auto* input = o->if_contains("input");
  if (input && input->is_string()) {
    texts.emplace_back(input->get_string());
  } else if (input && input->is_array()) {
    for (const auto& v : input->get_array()) {
      if (v.is_string())
        texts.emplace_back(v.get_string());
      else
        texts.emplace_back(json::serialize(v));  // a token array stands for its text
    }
  }
  if (texts.empty())
    return openai_error(reply, 400, "'input' is a required property", "invalid_request_error",
                        "input", "missing_required_parameter");
  std::int64_t dims = 8;
  if (const auto* d = o->if_contains("dimensions"); d && d->is_int64()) dims = d->get_int64();
  const auto* f = o->if_contains("encoding_format");
  const bool base64 = f && f->is_string() && f->get_string() == "base64";
  std::int64_t tokens = 0;
  auto& out = reply.body;
  out = R"({"object":"list","data":[)";
  for (std::size_t i = 0; i < texts.size(); ++i) {
    tokens += count_words(texts[i]);
    if (i) out += ',';
    out += R"({"object":"embedding","index":)";
    append_int(out, static_cast<std::int64_t>(i));
    out += R"(,"embedding":)";
    append_vector(out, vector_of(texts[i], dims), base64);
    out += '}';
  }
  out += R"(],"model":)";
  append_json_string(out,
                     model && model->is_string() ? model->get_string() : "text-embedding-3-small");
  std::string usage = R"({"prompt_tokens":)";
  append_int(usage, tokens);
  usage += R"(,"total_tokens":)";
  append_int(usage, tokens);
  usage += '}';
  out += R"(,"usage":)";
  out += usage;
  out += '}';
  reply.usage = std::move(usage);
  reply.usage_model = model && model->is_string() ? std::string(model->get_string()) : "";
}

void titan_embeddings(std::string_view body, Reply& reply) {
  boost::system::error_code ec;
  const auto doc = json::parse(body, ec, {}, deep_json());
  const auto* o = !ec ? doc.if_object() : nullptr;
  const auto* text = o ? o->if_contains("inputText") : nullptr;
  if (!text || !text->is_string())
    return bedrock_error(reply, 400, "ValidationException",
                         "Malformed input request: #: required key [inputText] not found");
  std::int64_t dims = 1024;
  if (const auto* d = o->if_contains("dimensions"); d && d->is_int64()) dims = d->get_int64();
  if (dims != 256 && dims != 512 && dims != 1024)
    return bedrock_error(reply, 400, "ValidationException",
                         "Malformed input request: #/dimensions: " + std::to_string(dims) +
                             " is not a valid enum value");
  const std::int64_t tokens = count_words(text->get_string());
  auto& out = reply.body;
  out = R"({"embedding":)";
  append_vector(out, vector_of(text->get_string(), dims), false);
  out += R"(,"inputTextTokenCount":)";
  append_int(out, tokens);
  out += '}';
  reply.usage = R"({"inputTokens":)" + std::to_string(tokens) + R"(,"outputTokens":0})";
}

}  // namespace tollbooth::mock
