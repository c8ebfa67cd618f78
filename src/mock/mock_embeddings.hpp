#pragma once
// The mock clouds' embeddings: OpenAI's and Azure's /embeddings, and Bedrock's Titan Text
// Embeddings v2 through InvokeModel. Vectors are deterministic: each input's words hashed into
// `dimensions` values (8 by default for OpenAI and Azure, 1024 for Titan, its default), so a test
// can tell inputs apart and compare runs; usage counts the inputs' words.
#include <string_view>

#include "mock/mock_reply.hpp"

namespace tollbooth::mock {

// POST .../embeddings (OpenAI, Azure): `model` required unless the path names the deployment.
void openai_embeddings(std::string_view body, bool model_required, Reply& reply);
// POST /model/{id}/invoke with a Titan v2 body {"inputText", "dimensions"?, "normalize"?}.
void titan_embeddings(std::string_view body, Reply& reply);

}  // namespace tollbooth::mock
