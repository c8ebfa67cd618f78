#pragma once
// The parser of an upstream's answers. I/O header: include only from .cpp files of the I/O areas
// (through upstream/pool.hpp).
#include <boost/beast/http/basic_parser.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace tollbooth {

// What the gateway reads of an upstream's answer: its status, the few header fields the relay,
// the translators and the image download look at, and its body. It belongs to the connection
// and is reused by each of its exchanges, so its strings keep their memory.
struct UpstreamResponse {
  unsigned status = 0;
  // Header fields. When a name comes more than once, the last value (as the relay has always
  // read them).
  std::string content_type;
  std::string retry_after;
  std::string request_id;       // x-request-id (OpenAI)
  std::string apim_request_id;  // apim-request-id (Azure)
  std::string amzn_request_id;  // x-amzn-RequestId (Bedrock)
  std::string amzn_error_type;  // x-amzn-ErrorType (Bedrock)
  std::string body;

  // The first Content-Type (what an image download reads), which differs from content_type only
  // when the field came more than once.
  std::string_view first_content_type() const noexcept {
    return content_types_ > 1 ? std::string_view(first_content_type_)
                              : std::string_view(content_type);
  }

  // Empty again for the next answer, keeping the memory (a body larger than kKeepBodyBytes is
  // freed: one large answer does not pin memory in an idle connection).
  void clear() noexcept;
  static constexpr std::size_t kKeepBodyBytes = 16 * 1024;

 private:
  friend class ResponseParser;
  void set_content_type(std::string_view value);
  unsigned content_types_ = 0;
  std::string first_content_type_;  // only when Content-Type came more than once
};

// Beast's HTTP/1 response parser (basic_parser<false>: every check of the wire format, framing
// and limits is Beast's) storing into an UpstreamResponse. Beast's http::response_parser keeps
// every field of the head in a basic_fields, a heap node and a tree insertion per field, for
// the handful the gateway reads; this keeps those few and copies nothing else. The body is
// stored as http::string_body stores it (reserved to a Content-Length, appended as it comes).
// One parser per message, as with Beast's: a fresh one for each exchange and each 1xx head.
class ResponseParser : public boost::beast::http::basic_parser<false> {
 public:
  // Clears `response`, which must outlive the parser.
  explicit ResponseParser(UpstreamResponse& response) : res_(response) { res_.clear(); }

  UpstreamResponse& get() noexcept { return res_; }
  const UpstreamResponse& get() const noexcept { return res_; }

 private:
  using string_view = boost::beast::string_view;
  using error_code = boost::beast::error_code;
  using field = boost::beast::http::field;

  void on_request_impl(boost::beast::http::verb, string_view, string_view, int,
                       error_code&) override {}
  void on_response_impl(int code, string_view, int, error_code&) override {
    res_.status = static_cast<unsigned>(code);
  }
  void on_field_impl(field name, string_view name_string, string_view value, error_code&) override;
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         error_code& ec) override;
  std::size_t on_body_impl(string_view body, error_code& ec) override { return append(body, ec); }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code& ec) override {
    return append(body, ec);
  }
  void on_finish_impl(error_code&) override {}

  std::size_t append(string_view bytes, error_code& ec);

  UpstreamResponse& res_;
};

}  // namespace tollbooth
