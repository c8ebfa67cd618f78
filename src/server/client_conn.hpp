#pragma once
// The client side of one connection: the socket, its read buffer, and how responses are
// written (whole, or as a chunked stream). I/O header.
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/usage.hpp"
#include "server/asio.hpp"

namespace tollbooth {

struct Worker;

// What the access log says about one request; filled in by the handler.
struct AccessRecord {
  char request_id[48] = {};  // sent as x-request-id and logged; unique per process run
  int status = 0;
  std::string model;
  std::string route;     // provider that served, empty when none did
  std::string attempts;  // "provider: outcome; ..." for failed attempts
  std::string plan;      // "needs=... plan=..." (only when the access log is on)
  Usage usage;
  bool stream = false;
};

class ClientConn {
 public:
  ClientConn(Socket socket, Worker& worker);

  TcpStream stream;
  beast::flat_buffer buffer;
  Worker& worker;
  bool keep_alive = true;  // the client's wish for this request; cleared on fatal errors
  bool busy = false;       // a request is being handled (drain leaves it running)
  bool head_sent = false;
  AccessRecord record;
  // Preformatted "Name: value\r\n" lines every response to this request carries (such as
  // x-tollbooth-plan for callers allowed to see it); cleared by begin_request.
  std::string response_headers;
  // Buffers the request path reuses across this connection's requests, so a kept-alive
  // connection's requests allocate none: the route headers, the upstream request head.
  std::string scratch;
  std::string upstream_head;

  // Starts a new request: fresh record with a new request id.
  void begin_request();

  // Whole response. `extra_headers` are preformatted "Name: value\r\n" lines.
  Awaitable<bool> respond(int status, std::string_view content_type, std::string_view body,
                          std::string_view extra_headers = {});
  Awaitable<bool> respond_error(const Error& error, std::string_view extra_headers = {});
  // Chunked streaming: the head goes out with the first chunk in one write.
  Awaitable<bool> begin_stream(std::string_view content_type, std::string_view extra_headers,
                               std::string_view first_chunk);
  Awaitable<bool> write_chunk(std::string_view data);
  Awaitable<bool> end_stream(std::string_view last_data = {});

 private:
  Awaitable<bool> write2(std::string_view a, std::string_view b);
  bool effective_keep_alive() const;
  std::string head_;
  std::string chunk_;
};

}  // namespace tollbooth
