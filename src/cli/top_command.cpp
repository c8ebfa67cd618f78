#include "cli/top_command.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>

#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <ctime>
#include <iostream>
#include <string>
#include <thread>

#include "cli/admin_call.hpp"
#include "cli/top_metrics.hpp"
#include "config/config_values.hpp"
#include "core/endpoint.hpp"

namespace tollbooth::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::size_t kMaxBody = 64u << 20;  // a scrape of thousands of series is a few MB

// Set by SIGINT or SIGTERM in the live view: stop drawing, give the terminal back.
volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_stop(int) {
  g_stop = 1;
}

struct Answer {
  int status = 0;
  std::string body;
  std::string error;  // the exchange failed: why
};

asio::awaitable<void> get(Endpoint ep, std::string target, std::string key, Answer* out) {
  const auto token = asio::as_tuple(asio::use_awaitable);
  auto ex = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(ex);
  auto [resolve_ec, found] =
      co_await resolver.async_resolve(ep.host, std::to_string(ep.port), token);
  if (resolve_ec) {
    out->error = fmt::format("cannot resolve {}: {}", ep.host, resolve_ec.message());
    co_return;
  }
  beast::tcp_stream stream(ex);
  auto [connect_ec, peer] = co_await stream.async_connect(found, token);
  if (connect_ec) {
    out->error = fmt::format("cannot connect to {}: {}", ep.host_header, connect_ec.message());
    co_return;
  }
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, ep.host_header);
  req.set(http::field::authorization, "Bearer " + key);
  req.set(http::field::accept, "text/plain");
  req.set(http::field::user_agent, "tollbooth-top/" TOLLBOOTH_VERSION);
  auto [write_ec, written] = co_await http::async_write(stream, req, token);
  if (write_ec) {
    out->error = fmt::format("cannot send the request: {}", write_ec.message());
    co_return;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxBody);
  auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, token);
  if (read_ec) {
    out->error = fmt::format("no answer: {}", read_ec.message());
    co_return;
  }
  out->status = static_cast<int>(parser.get().result_int());
  out->body = std::move(parser.get().body());
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
}

// One GET, given up after `timeout` (or at SIGINT in the live view).
Answer fetch(const Endpoint& ep, const std::string& target, const std::string& key,
             std::chrono::milliseconds timeout) {
  Answer out;
  asio::io_context io;
  bool done = false;
  asio::co_spawn(io, get(ep, target, key, &out), [&done](std::exception_ptr) { done = true; });
  const auto deadline = Clock::now() + timeout;
  while (!done && !g_stop && Clock::now() < deadline) io.run_for(100ms);
  if (!done && out.error.empty())
    out.error =
        g_stop ? "interrupted"
               : fmt::format("no answer within {}s", static_cast<double>(timeout.count()) / 1e3);
  return out;  // `io` goes first, and with it the coroutine, had it not finished
}

// The gateway's error message and code in an OpenAI-style error body; empty when it has none.
std::pair<std::string, std::string> error_of(const std::string& body) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return {};
  const auto* error = v.as_object().if_contains("error");
  if (!error || !error->is_object()) return {};
  auto text = [&](std::string_view name) {
    const auto* f = error->as_object().if_contains(name);
    return f && f->is_string() ? std::string(f->as_string()) : std::string();
  };
  return {text("message"), text("code")};
}

std::string utc_clock() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%H:%M:%S UTC", &tm);
  return text;
}

// Waits `d`; false when SIGINT or SIGTERM came meanwhile.
bool pause(std::chrono::milliseconds d) {
  const auto until = Clock::now() + d;
  while (!g_stop) {
    const auto now = Clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(std::min<Clock::duration>(until - now, 50ms));
  }
  return false;
}

struct Scraped {
  std::optional<top::Exposition> exposition;
  Clock::time_point at;
  std::string error;
};

}  // namespace

struct TopCommand::State {
  std::string url = "http://127.0.0.1:4000";
  std::string key;
  std::string interval_text = "1s";
  bool once = false;
  CLI::App* top = nullptr;

  Endpoint endpoint;
  std::string target;  // the endpoint's path to /metrics
  std::chrono::milliseconds interval{1000};

  std::string metrics_url() const { return url_text() + "/metrics"; }
  std::string url_text() const {
    std::string u = url;
    while (u.ends_with('/')) u.pop_back();
    return u;
  }

  Scraped scrape() const {
    Scraped s;
    const Answer a =
        fetch(endpoint, target, key, std::max<std::chrono::milliseconds>(interval, 5s));
    s.at = Clock::now();
    const std::string where = "GET " + metrics_url();
    if (!a.error.empty()) {
      s.error = fmt::format("{}: the gateway cannot be reached: {}", where, a.error);
      return s;
    }
    const auto [message, code] = error_of(a.body);
    const std::string said = message.empty() ? "" : " (" + message + ")";
    if (a.status == 401 || a.status == 403) {
      s.error = fmt::format(
          "{}: {}{}: the key needs the metrics scope (a scraper's key) or admin "
          "(server.admin_key)",
          where, a.status, said);
    } else if (a.status == 404) {
      s.error = code == "metrics_off"
                    ? fmt::format(
                          "{}: 404: metrics are off on this gateway (its config says "
                          "metrics: {{ enabled: false }})",
                          where)
                    : fmt::format("{}: 404: nothing there; is {} a tollbooth gateway?", where,
                                  url_text());
    } else if (a.status != 200) {
      s.error = fmt::format("{}: HTTP {}{}", where, a.status, said);
    } else if (auto parsed = top::parse_exposition(a.body); !parsed.ok()) {
      s.error =
          fmt::format("{}: the answer is not Prometheus text ({})", where, parsed.error().message);
    } else if (!top::looks_like_tollbooth(*parsed)) {
      s.error = fmt::format("{}: the answer holds no tollbooth metrics; is {} a tollbooth gateway?",
                            where, url_text());
    } else {
      s.exposition = std::move(*parsed);
    }
    return s;
  }

  int once_mode() const {
    const Scraped first = scrape();
    if (!first.exposition) {
      std::cerr << "error: " << first.error << "\n";
      return kExitRefused;
    }
    pause(interval);
    const Scraped second = scrape();
    if (!second.exposition) {
      std::cerr << "error: " << second.error << "\n";
      return kExitRefused;
    }
    const std::chrono::duration<double> apart = second.at - first.at;
    const top::Frame frame =
        top::compute_frame(*first.exposition, *second.exposition, apart.count());
    std::cout << top::format_frame(frame, top::FormatOptions{url_text(), utc_clock(), false, 0});
    return 0;
  }

  int live_mode() const {
    struct sigaction action {};
    action.sa_handler = on_stop;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
    // The terminal's other screen, without a cursor; both given back on the way out.
    std::cout << "\x1b[?1049h\x1b[?25l" << std::flush;
    std::optional<Scraped> previous;
    std::string last_frame;
    while (!g_stop) {
      winsize size{};
      const bool terminal = ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0;
      const std::size_t width = terminal ? size.ws_col : 0;
      const std::size_t rows = terminal ? size.ws_row : 0;
      Scraped now = scrape();
      if (g_stop) break;  // a read cut short by Ctrl-C: nothing to show
      std::string screen;
      if (!now.exposition) {
        screen = fmt::format("tollbooth top  {}  {}\n\x1b[1;31m{}\x1b[0m\ntrying again every {}\n",
                             url_text(), utc_clock(), now.error, interval_text);
        if (!last_frame.empty()) screen += "\nthe last frame:\n" + last_frame;
      } else if (!previous) {
        screen = fmt::format(
            "tollbooth top  {}  {}\nfirst scrape read; the rates need a second, "
            "in {}\n",
            url_text(), utc_clock(), interval_text);
        previous = std::move(now);
      } else {
        const std::chrono::duration<double> apart = now.at - previous->at;
        const top::Frame frame =
            top::compute_frame(*previous->exposition, *now.exposition, apart.count());
        last_frame =
            top::format_frame(frame, top::FormatOptions{url_text(), utc_clock(), true, width});
        screen = last_frame;
        previous = std::move(now);
      }
      // Home, then each line over the last screen's (cleared to its end), then the rest of the
      // screen cleared: no flash of an empty screen between frames.
      std::string out = "\x1b[H";
      std::size_t lines = 0;
      for (std::size_t start = 0; start < screen.size();) {
        std::size_t end = screen.find('\n', start);
        if (end == std::string::npos) end = screen.size();
        if (rows && ++lines >= rows) break;  // the last row stays free: no scrolling
        out.append(screen, start, end - start).append("\x1b[K\n");
        start = end + 1;
      }
      out += "\x1b[J";
      std::cout << out << std::flush;
      pause(interval);
    }
    std::cout << "\x1b[?25h\x1b[?1049l" << std::flush;
    return 0;
  }
};

TopCommand::TopCommand(CLI::App& app) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.top = app.add_subcommand(
      "top",
      "Watch a running gateway: requests per second, errors, the gateway's refusals, failed "
      "attempts, latencies, spend per minute and open breakers, from its GET /metrics read every "
      "interval");
  s.top->add_option("--url", s.url, "The gateway's base URL (http)")->capture_default_str();
  s.top
      ->add_option("--key", s.key,
                   "A key with the metrics scope (or admin: server.admin_key), sent as "
                   "Authorization: Bearer; better given in the environment")
      ->envname("TOLLBOOTH_ADMIN_KEY");
  s.top
      ->add_option("--interval", s.interval_text,
                   "Time between scrapes, like 500ms, 1s or 5s: rates are over this interval")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            const auto d = config_detail::parse_duration(text);
            if (!d) return "not a duration; expected 500ms, 1s or 2m";
            if (*d < 100ms) return "too short; at least 100ms";
            return {};
          },
          "DURATION"))
      ->capture_default_str();
  s.top->add_flag("--once", s.once,
                  "Scrape twice, an interval apart, print one frame as plain text and exit");
}

TopCommand::~TopCommand() = default;

std::optional<int> TopCommand::run() {
  State& s = *state_;
  if (!*s.top) return std::nullopt;
  auto endpoint = parse_endpoint(s.url);
  if (!endpoint.ok()) {
    std::cerr << "--url " << s.url << ": " << endpoint.error().message << "\n";
    return kExitUsage;
  }
  if (endpoint->tls) {
    std::cerr << "--url " << s.url
              << ": https is not supported yet; give the gateway's http address\n";
    return kExitUsage;
  }
  if (s.key.empty()) {
    std::cerr << "no key: give --key or set TOLLBOOTH_ADMIN_KEY (a key with the metrics or admin "
                 "scope)\n";
    return kExitUsage;
  }
  s.endpoint = std::move(*endpoint);
  s.target = s.endpoint.base_path + "/metrics";
  s.interval = *config_detail::parse_duration(s.interval_text);
  return s.once ? s.once_mode() : s.live_mode();
}

}  // namespace tollbooth::cli
