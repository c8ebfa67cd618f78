#pragma once
// GET /v1/models and GET /v1/models/{id} bodies, served from the config's model names.
#include <string>
#include <string_view>

namespace tollbooth {
struct Config;
}

namespace tollbooth::openai {

std::string models_list_body(const Config& config, long long created_unix);
// Empty string when the model is not configured.
std::string model_body(const Config& config, std::string_view id, long long created_unix);

}  // namespace tollbooth::openai
