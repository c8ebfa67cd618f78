#pragma once
// The Embeddings front's translators: OpenAI and Azure take the client's body (model spliced)
// at their /embeddings paths; Bedrock gets Titan Text Embeddings v2 through InvokeModel
// (`{"inputText", "dimensions", "normalize"}`, SigV4 as for Converse), one input per call, and
// its `{"embedding", "inputTextTokenCount"}` comes back in OpenAI's shape with its usage.
#include <string>

#include "api/openai/embeddings.hpp"
#include "providers/translator.hpp"

namespace tollbooth {

struct EmbeddingsInput {
  const ProviderConfig& provider;
  const Endpoint& endpoint;
  const RouteConfig& route;
  std::string_view client_body;
  const openai::EmbeddingsInspection& facts;
  std::int64_t unix_ms = 0;
  aws::Signer* signer = nullptr;        // bedrock
  const aws::Auth* aws_auth = nullptr;  // bedrock
};

// Answers are whole: the stream calls are never made.
class EmbeddingsTranslator : public Translator {
 public:
  void feed(std::string_view, std::string&) override {}
  void end(std::string&) override {}
  void fail(Error, std::string&) override {}
  bool done() const noexcept override { return true; }
  const Error* error() const noexcept override { return nullptr; }
  Usage usage() const noexcept override { return {}; }
  std::size_t pending_bytes() const noexcept override { return 0; }
};

class OpenAiWireEmbeddings final : public EmbeddingsTranslator {
 public:
  explicit OpenAiWireEmbeddings(const EmbeddingsInput& in) : in_(in) {}
  Result<Ok> build(UpstreamRequest& out) override;
  BodyPlan plan(const ResponseHead& head) const override;
  Reply whole(const ResponseHead& head, std::string_view body) override;

 private:
  const EmbeddingsInput& in_;
};

class BedrockEmbeddings final : public EmbeddingsTranslator {
 public:
  explicit BedrockEmbeddings(const EmbeddingsInput& in) : in_(in) {}
  // 400s: more than one input, token arrays, or dimensions other than 256, 512 or 1024.
  Result<Ok> build(UpstreamRequest& out) override;
  BodyPlan plan(const ResponseHead& head) const override;
  Reply whole(const ResponseHead& head, std::string_view body) override;

 private:
  const EmbeddingsInput& in_;
  std::string body_;  // the InvokeModel body
  std::string path_;
};

}  // namespace tollbooth
