#pragma once
// Listening sockets for the gateway and the mock clouds: one SO_REUSEPORT acceptor per event
// loop, so the kernel spreads connections. I/O header: include only from I/O .cpp files.
#include <boost/asio/basic_socket_acceptor.hpp>

#include "net/asio.hpp"

namespace tollbooth {

using Acceptor = asio::basic_socket_acceptor<tcp, Executor>;

// SO_REUSEPORT lets any socket of the same user join a port, so a second `tollbooth serve` on a
// busy port would start and silently take half the traffic. Before the first acceptor binds,
// this binds a plain socket (SO_REUSEADDR only, like nginx) to `at`: it fails when anything
// listens there. Throws std::system_error saying so; port 0 needs no check.
void check_address_free(const tcp::endpoint& at);

// Opens, binds (SO_REUSEADDR + SO_REUSEPORT) and listens; returns the bound address (with the
// port the kernel chose for port 0, which the next loop's acceptor then joins). Throws
// std::system_error.
tcp::endpoint open_listener(Acceptor& acceptor, const tcp::endpoint& at);

}  // namespace tollbooth
