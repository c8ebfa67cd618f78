#pragma once
// Reading an HTTP message with Beast's parser, driven by the caller's own coroutine: parse what
// the buffer already holds, and only when that is not enough, one plain socket read, then parse
// again. This is Beast's http::async_read / async_read_header (read_op over read_some_op) taken
// apart, step for step, with the same results and errors. Beast's composed operations cost, per
// call, an operation object with two work-tracking executors, and, when the bytes were already
// in the buffer (a request's body arrives with its head; an answer's body with its head), a post
// through the scheduler before the caller resumes: about a tenth of a proxied request's
// instructions. I/O header: include only from .cpp files of the I/O areas.
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <cstddef>

namespace tollbooth::net {

enum class ReadStep {
  done,    // the condition holds
  read,    // the buffer has nothing more the parser can take: read from the socket
  failed,  // `ec` says why
};

// Until the head is parsed (http::async_read_header) or the whole message (http::async_read).
struct HeadDone {
  template <bool isRequest>
  bool operator()(const boost::beast::http::basic_parser<isRequest>& p) const {
    return p.is_header_done();
  }
};
struct MessageDone {
  template <bool isRequest>
  bool operator()(const boost::beast::http::basic_parser<isRequest>& p) const {
    return p.is_done();
  }
};

// Feeds the parser what the buffer holds, until `until` holds, it needs more bytes, or it fails.
// `consumed` counts the bytes the parser took (what Beast's read reports as transferred).
template <bool isRequest, class Until>
ReadStep parse_buffered(boost::beast::http::basic_parser<isRequest>& p,
                        boost::beast::flat_buffer& buffer, Until until,
                        boost::beast::error_code& ec, std::size_t& consumed) {
  ec = {};
  if (until(p)) return ReadStep::done;
  while (buffer.size() > 0) {
    const std::size_t used = p.put(buffer.data(), ec);
    buffer.consume(used);
    consumed += used;
    if (ec == boost::beast::http::error::need_more) {
      ec = {};
      return ReadStep::read;
    }
    if (ec) return ReadStep::failed;
    if (until(p)) return ReadStep::done;
    if (used == 0) break;  // nothing the parser can take yet
  }
  return ReadStep::read;
}

// Where the next socket read lands: what the buffer has room for, at least 512 and at most
// 64 KiB bytes (Beast's sizes).
inline auto read_space(boost::beast::flat_buffer& buffer) {
  return buffer.prepare(boost::beast::read_size(buffer, 65536));
}

// After a socket read into read_space() that ended with `read_ec` and `bytes`: commits the
// bytes, judges the end of the stream as Beast does, and parses on. EOF before any byte of the
// message is http::error::end_of_stream; after some, it ends a message framed by the close
// (done) and breaks any other (partial_message).
template <bool isRequest, class Until>
ReadStep after_read(boost::beast::http::basic_parser<isRequest>& p,
                    boost::beast::flat_buffer& buffer, Until until,
                    const boost::beast::error_code& read_ec, std::size_t bytes,
                    boost::beast::error_code& ec, std::size_t& consumed) {
  buffer.commit(bytes);
  ec = {};
  if (read_ec == boost::asio::error::eof) {
    if (!p.got_some()) {
      ec = boost::beast::http::error::end_of_stream;
      return ReadStep::failed;
    }
    p.put_eof(ec);
    return ec ? ReadStep::failed : ReadStep::done;
  }
  if (read_ec) {
    ec = read_ec;
    return ReadStep::failed;
  }
  return parse_buffered(p, buffer, until, ec, consumed);
}

// The loop, for a coroutine (`read_some` is the socket's async_read_some, co_awaited):
//   auto step = net::parse_buffered(parser, buffer, net::HeadDone{}, ec, n);
//   while (step == net::ReadStep::read) {
//     auto [rec, got] = co_await socket.async_read_some(net::read_space(buffer), ...);
//     step = net::after_read(parser, buffer, net::HeadDone{}, rec, got, ec, n);
//   }

}  // namespace tollbooth::net
