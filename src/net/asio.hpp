#pragma once
// Asio/Beast vocabulary shared by the I/O areas (server, upstream, gateway, mock). Heavy: include
// it only from .cpp files and from headers that only I/O .cpp files include.
//
// Every socket and coroutine uses the concrete io_context executor rather than
// any_io_executor: one event loop per worker thread means no polymorphic executor is needed,
// and the concrete type avoids an allocation and an indirect call per operation.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>

namespace tollbooth {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

using Executor = asio::io_context::executor_type;
template <class T = void>
using Awaitable = asio::awaitable<T, Executor>;
// Completion token: errors come back as values (ec first), never as exceptions.
inline constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable_t<Executor>{});
// The same for an operation co_awaited directly in a coroutine: the operation is handed to the
// coroutine as it is, without the extra coroutine frame use_awaitable wraps each one in (an
// allocation and a resume per read or write). The hot path uses this.
inline constexpr auto deferred_nothrow = asio::as_tuple(asio::deferred);
// A TCP stream with Beast's per-operation timeouts, on the worker's own executor.
using Socket = asio::basic_stream_socket<tcp, Executor>;
using TcpStream = beast::basic_stream<tcp, Executor, beast::unlimited_rate_policy>;
using Timer = asio::basic_waitable_timer<std::chrono::steady_clock,
                                         asio::wait_traits<std::chrono::steady_clock>, Executor>;

}  // namespace tollbooth
