#include "json/scratch.hpp"

#include <cstring>

namespace tollbooth::json {

simdjson::padded_string_view padded_copy(std::string& buf, std::string_view in) {
  if (buf.capacity() > kKeepScratchBytes && in.size() < kKeepScratchBytes) std::string().swap(buf);
  buf.resize(in.size() + simdjson::SIMDJSON_PADDING);
  if (!in.empty()) std::memcpy(buf.data(), in.data(), in.size());
  std::memset(buf.data() + in.size(), 0, simdjson::SIMDJSON_PADDING);
  return simdjson::padded_string_view(buf.data(), in.size(), buf.size());
}

simdjson::ondemand::parser& reuse(simdjson::ondemand::parser& parser, std::size_t doc_size) {
  if (parser.capacity() > kKeepScratchBytes && doc_size < kKeepScratchBytes) {
    parser = simdjson::ondemand::parser{};
  }
  return parser;
}

}  // namespace tollbooth::json
