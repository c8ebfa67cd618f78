#include "core/outcome.hpp"

namespace tollbooth {

std::string_view front_name(Front f) noexcept {
  switch (f) {
    case Front::none: return "-";
    case Front::chat_completions: return "chat.completions";
    case Front::responses: return "responses";
    case Front::embeddings: return "embeddings";
    case Front::models: return "models";
    case Front::health: return "health";
    case Front::admin: return "admin";
    case Front::metrics: return "metrics";
    case Front::dashboard: return "dashboard";
  }
  return "-";
}

std::string_view attempt_end_name(AttemptEnd e) noexcept {
  switch (e) {
    case AttemptEnd::served: return "served";
    case AttemptEnd::failed: return "failed";
    case AttemptEnd::refused: return "refused";
    case AttemptEnd::failed_final: return "failed_final";
    case AttemptEnd::failed_in_band: return "failed_in_band";
    case AttemptEnd::aborted: return "aborted";
  }
  return "?";
}

GatewayRefusal refusal_of(std::string_view code) noexcept {
  if (code == "rate_limit_exceeded") return GatewayRefusal::rate_limit;
  if (code == "budget_exceeded") return GatewayRefusal::budget;
  if (code == "rate_limit_unavailable" || code == "budget_unavailable")
    return GatewayRefusal::limits_unavailable;
  if (code == "ledger_backlog") return GatewayRefusal::ledger_backlog;
  return GatewayRefusal::none;
}

std::string_view refusal_name(GatewayRefusal r) noexcept {
  switch (r) {
    case GatewayRefusal::none: return "none";
    case GatewayRefusal::rate_limit: return "rate_limit";
    case GatewayRefusal::budget: return "budget";
    case GatewayRefusal::limits_unavailable: return "limits_unavailable";
    case GatewayRefusal::ledger_backlog: return "ledger_backlog";
  }
  return "none";
}

void RequestOutcome::reset() noexcept {
  request_id = {};
  client_request_id = {};
  refusal = GatewayRefusal::none;
  method = {};
  target = {};
  status = 0;
  abort = Abort::none;
  bytes_in = bytes_out = 0;
  received = first_byte = done = Steady{};
  received_unix_ms = 0;
  front = Front::none;
  config_generation = 0;
  key_id.clear();
  team.clear();
  markup_bp = 0;
  model.clear();
  stream = false;
  needs = CapabilitySet{};
  estimated_input_tokens = max_output_tokens = 0;
  plan.clear();
  attempts.clear();
  route = {};
  usage = Usage{};
  answer_unrecorded = false;
  answer_route = 0;
  answer_charge = -1;
}

}  // namespace tollbooth
