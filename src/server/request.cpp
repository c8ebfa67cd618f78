#include "server/request.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <cstring>
#include <limits>

namespace tollbooth {

namespace http = boost::beast::http;

const HttpRequest::Slot* HttpRequest::find(http::field name) const noexcept {
  for (const Slot& f : fields_)
    if (f.name == name) return &f;
  return nullptr;
}

std::string_view HttpRequest::operator[](http::field name) const noexcept {
  const Slot* f = find(name);
  return f ? view(f->value_at, f->value_size) : std::string_view();
}

std::string_view HttpRequest::operator[](std::string_view name) const noexcept {
  for (const Slot& f : fields_) {
    if (f.name_size == name.size() && boost::beast::iequals(view(f.name_at, f.name_size), name))
      return view(f.value_at, f.value_size);
  }
  return {};
}

std::size_t HttpRequest::count(http::field name) const noexcept {
  std::size_t n = 0;
  for (const Slot& f : fields_) n += f.name == name;
  return n;
}

std::size_t HttpRequest::count(std::string_view name) const noexcept {
  std::size_t n = 0;
  for (const Slot& f : fields_)
    n += f.name_size == name.size() && boost::beast::iequals(view(f.name_at, f.name_size), name);
  return n;
}

HttpRequest::Field HttpRequest::field(std::size_t i) const noexcept {
  const Slot& f = fields_[i];
  return Field{f.name, view(f.name_at, f.name_size), view(f.value_at, f.value_size)};
}

bool HttpRequest::keep_alive() const {
  const Slot* connection = find(http::field::connection);
  if (version_ < 11) {
    if (!connection) return false;
    return http::token_list{view(connection->value_at, connection->value_size)}.exists(
        "keep-alive");
  }
  if (!connection) return true;
  return !http::token_list{view(connection->value_at, connection->value_size)}.exists("close");
}

void HttpRequest::clear() noexcept {
  method_ = http::verb::unknown;
  version_ = 0;
  method_at_ = method_size_ = target_at_ = target_size_ = 0;
  head_.clear();
  fields_.clear();
  if (body_.capacity() > kKeepBodyBytes)
    std::string().swap(body_);
  else
    body_.clear();
}

// Appends `a` then `b` to the head's storage (one growth, two copies) and returns where `a`
// starts; `b` follows it. The callers keep the storage under 4 GiB: offsets are 32 bits.
std::uint32_t HttpRequest::keep(std::string_view a, std::string_view b) {
  const std::size_t at = head_.size();
  head_.resize(at + a.size() + b.size());
  char* p = head_.data() + at;
  std::memcpy(p, a.data(), a.size());
  std::memcpy(p + a.size(), b.data(), b.size());
  return static_cast<std::uint32_t>(at);
}

void RequestParser::on_request_impl(http::verb method, string_view method_str, string_view target,
                                    int version, error_code&) {
  // The request line is parsed within the header limit (32 bits) in one piece.
  req_.method_ = method;
  req_.version_ = static_cast<unsigned>(version);
  req_.method_at_ =
      req_.keep({method_str.data(), method_str.size()}, {target.data(), target.size()});
  req_.method_size_ = static_cast<std::uint32_t>(method_str.size());
  req_.target_at_ = req_.method_at_ + req_.method_size_;
  req_.target_size_ = static_cast<std::uint32_t>(target.size());
}

void RequestParser::on_field_impl(field name, string_view name_string, string_view value,
                                  error_code& ec) {
  // As basic_fields stores a value: without surrounding whitespace (Beast's parser has trimmed
  // all but what an obs-fold line may leave).
  value = http::detail::trim(value);
  // Beast applies its header limit to each piece of a head parsed, not to the whole; the session
  // refuses a head larger than max_header_bytes once it is parsed. A head of 4 GiB in pieces
  // cannot be stored with 32-bit offsets: refused as too large at once.
  if (req_.head_.size() + name_string.size() + value.size() >
      std::numeric_limits<std::uint32_t>::max()) {
    ec = http::error::header_limit;
    return;
  }
  HttpRequest::Slot slot;
  slot.name = name;
  slot.name_at = req_.keep({name_string.data(), name_string.size()}, {value.data(), value.size()});
  slot.name_size = static_cast<std::uint32_t>(name_string.size());
  slot.value_at = slot.name_at + slot.name_size;
  slot.value_size = static_cast<std::uint32_t>(value.size());
  req_.fields_.push_back(slot);
}

// As http::string_body's reader: the whole body reserved when its length is known.
void RequestParser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                      error_code& ec) {
  if (content_length) {
    if (*content_length > req_.body_.max_size()) {
      ec = http::error::buffer_overflow;
      return;
    }
    req_.body_.reserve(static_cast<std::size_t>(*content_length));
  }
}

std::size_t RequestParser::append(string_view bytes, error_code& ec) {
  if (bytes.size() > req_.body_.max_size() - req_.body_.size()) {
    ec = http::error::buffer_overflow;
    return 0;
  }
  req_.body_.append(bytes.data(), bytes.size());
  return bytes.size();
}

}  // namespace tollbooth
