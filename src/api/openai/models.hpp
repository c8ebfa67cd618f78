#pragma once
// GET /v1/models and GET /v1/models/{id} bodies, served from the config's model names.
#include <functional>
#include <string>
#include <string_view>

namespace tollbooth {
struct Config;
}

namespace tollbooth::openai {

// `allowed`, when given, keeps only the models it says yes to (those the caller's key may use).
std::string models_list_body(const Config& config, long long created_unix,
                             const std::function<bool(std::string_view)>& allowed = {});
// Empty string when the model is not configured.
std::string model_body(const Config& config, std::string_view id, long long created_unix);

}  // namespace tollbooth::openai
