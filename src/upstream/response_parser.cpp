#include "upstream/response_parser.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <limits>

namespace tollbooth {

void UpstreamResponse::clear() noexcept {
  status = 0;
  content_type.clear();
  retry_after.clear();
  request_id.clear();
  apim_request_id.clear();
  amzn_request_id.clear();
  amzn_error_type.clear();
  content_types_ = 0;
  if (body.capacity() > kKeepBodyBytes)
    std::string().swap(body);
  else
    body.clear();
}

void UpstreamResponse::set_content_type(std::string_view value) {
  if (++content_types_ == 2) first_content_type_ = content_type;
  content_type.assign(value);
}

void ResponseParser::on_field_impl(field name, string_view name_string, string_view value,
                                   error_code&) {
  const std::string_view v(value.data(), value.size());
  switch (name) {
    case field::content_type: res_.set_content_type(v); return;
    case field::retry_after: res_.retry_after.assign(v); return;
    case field::unknown: break;
    default: return;
  }
  // Names Beast does not know: compared by length first, then without regard to case.
  namespace beast = boost::beast;
  if (name_string.size() == 12 && beast::iequals(name_string, "x-request-id"))
    res_.request_id.assign(v);
  else if (name_string.size() == 15 && beast::iequals(name_string, "apim-request-id"))
    res_.apim_request_id.assign(v);
  else if (name_string.size() == 16 && beast::iequals(name_string, "x-amzn-requestid"))
    res_.amzn_request_id.assign(v);
  else if (name_string.size() == 16 && beast::iequals(name_string, "x-amzn-errortype"))
    res_.amzn_error_type.assign(v);
}

// As http::string_body's reader: the whole body reserved when its length is known.
void ResponseParser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                       error_code& ec) {
  if (content_length) {
    if (*content_length > res_.body.max_size()) {
      ec = boost::beast::http::error::buffer_overflow;
      return;
    }
    res_.body.reserve(static_cast<std::size_t>(*content_length));
  }
}

std::size_t ResponseParser::append(string_view bytes, error_code& ec) {
  if (bytes.size() > res_.body.max_size() - res_.body.size()) {
    ec = boost::beast::http::error::buffer_overflow;
    return 0;
  }
  res_.body.append(bytes.data(), bytes.size());
  return bytes.size();
}

}  // namespace tollbooth
