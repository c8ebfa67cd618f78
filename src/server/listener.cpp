#include "server/listener.hpp"

#include <sys/socket.h>

#include <string>
#include <system_error>

namespace tollbooth {

namespace {
using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

std::string where(const tcp::endpoint& at) {
  std::string host = at.address().to_string();
  if (at.address().is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(at.port());
}
}  // namespace

void check_address_free(const tcp::endpoint& at) {
  if (at.port() == 0) return;
  asio::io_context io;
  tcp::acceptor probe(io);
  beast::error_code ec;
  probe.open(at.protocol(), ec);
  if (!ec) probe.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) probe.bind(at, ec);
  if (ec == asio::error::address_in_use)
    throw std::system_error(ec, where(at) + " is already in use (another process listens there)");
  if (ec) throw std::system_error(ec, "cannot bind " + where(at));
}

tcp::endpoint open_listener(Acceptor& acceptor, const tcp::endpoint& at) {
  acceptor.open(at.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.set_option(reuse_port(true));
  beast::error_code ec;
  acceptor.bind(at, ec);
  if (ec) throw std::system_error(ec, "cannot bind " + where(at));
  acceptor.listen(asio::socket_base::max_listen_connections);
  return acceptor.local_endpoint();
}

}  // namespace tollbooth
