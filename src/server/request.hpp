#pragma once
// A client's request as the server reads it and hands it to its handler, and the parser that
// reads it. I/O header.
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tollbooth {

// One request: its request line, its header fields and its body. The session keeps one per
// connection and reuses it for each request, so a kept-alive connection's requests allocate
// nothing for their heads once its first has sized the storage: names and values are copied
// into one string, in the order they came (Beast's basic_fields allocates a node per field and
// inserts it into a tree, for the few fields anyone reads). Views it hands out are valid until
// the session reads the connection's next request.
class HttpRequest {
 public:
  struct Field {
    boost::beast::http::field name;  // field::unknown for a name Beast does not know
    std::string_view name_string;    // as the client spelled it
    std::string_view value;
  };

  boost::beast::http::verb method() const noexcept { return method_; }
  std::string_view method_string() const noexcept { return view(method_at_, method_size_); }
  std::string_view target() const noexcept { return view(target_at_, target_size_); }
  unsigned version() const noexcept { return version_; }  // 10 or 11

  // The value of the first field of that name (names compare without regard to case), empty
  // when there is none.
  std::string_view operator[](boost::beast::http::field name) const noexcept;
  std::string_view operator[](std::string_view name) const noexcept;
  std::size_t count(boost::beast::http::field name) const noexcept;
  std::size_t count(std::string_view name) const noexcept;
  // The fields, in the order they came.
  std::size_t field_count() const noexcept { return fields_.size(); }
  Field field(std::size_t i) const noexcept;

  // Whether the client asked to keep the connection open, as Beast's message::keep_alive()
  // reads it: the first Connection field's tokens ("close" in HTTP/1.1, "keep-alive" in 1.0).
  bool keep_alive() const;

  // The body, decoded when it came with a Content-Encoding (server/session.cpp): the
  // Content-Encoding and Content-Length fields describe the bytes on the wire, not this.
  const std::string& body() const noexcept { return body_; }
  std::string& body() noexcept { return body_; }

  // Empty again for the next request, keeping the memory (a body larger than kKeepBodyBytes is
  // freed, so one large request does not pin memory in an idle connection).
  void clear() noexcept;
  static constexpr std::size_t kKeepBodyBytes = 16 * 1024;

 private:
  friend class RequestParser;
  struct Slot {  // a field, as offsets into head_ (which grows while the head is parsed)
    boost::beast::http::field name;
    std::uint32_t name_at, name_size, value_at, value_size;
  };
  std::string_view view(std::uint32_t at, std::uint32_t size) const noexcept {
    return std::string_view(head_.data() + at, size);
  }
  const Slot* find(boost::beast::http::field name) const noexcept;
  std::uint32_t keep(std::string_view a, std::string_view b);

  boost::beast::http::verb method_ = boost::beast::http::verb::unknown;
  unsigned version_ = 0;
  std::uint32_t method_at_ = 0, method_size_ = 0, target_at_ = 0, target_size_ = 0;
  std::string head_;  // the method, the target and every name and value, back to back
  std::vector<Slot> fields_;
  std::string body_;
};

// Beast's HTTP/1 request parser (basic_parser<true>: every check of the wire format, framing
// and limits is Beast's) storing into an HttpRequest, in place of http::request_parser and its
// basic_fields. The body is stored as http::string_body stores it (reserved to a
// Content-Length, appended as it comes). One parser per request, as with Beast's.
class RequestParser : public boost::beast::http::basic_parser<true> {
 public:
  // Clears `request`, which must outlive the parser.
  explicit RequestParser(HttpRequest& request) : req_(request) { req_.clear(); }

  HttpRequest& get() noexcept { return req_; }
  const HttpRequest& get() const noexcept { return req_; }

 private:
  using string_view = boost::beast::string_view;
  using error_code = boost::beast::error_code;
  using field = boost::beast::http::field;

  void on_request_impl(boost::beast::http::verb method, string_view method_str, string_view target,
                       int version, error_code& ec) override;
  void on_response_impl(int, string_view, int, error_code&) override {}
  void on_field_impl(field name, string_view name_string, string_view value,
                     error_code& ec) override;
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

  HttpRequest& req_;
};

}  // namespace tollbooth
