#include "cli/admin_call.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "admin/admin.hpp"
#include "cli/config_store.hpp"
#include "config/config.hpp"
#include "store/store.hpp"

namespace tollbooth::cli {
namespace {

std::string actor() {
  const char* user = std::getenv("USER");
  return user && *user ? std::string("cli:") + user : std::string("cli");
}

}  // namespace

std::int64_t now_unix_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string percent_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '.' || c == '~';
    if (plain)
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

int call_admin(const std::string& config_path, const AdminOp& op,
               const std::function<int(const std::string&)>& on_reply) {
  std::shared_ptr<const Config> config;
  try {
    // Only the store's address is needed of the secrets (the providers' api_key are not, and a
    // declared key's secret only to show its last four characters): the variables not set
    // here read as placeholders, and open_config_store says so if the store's is one of them.
    config = load_config_file(config_path, &env_or_not_read);
  } catch (const ConfigError& e) {
    std::cerr << format_problems(e.problems());
    return kExitRefused;
  }
  std::unique_ptr<Store> store;
  try {
    store = open_config_store(*config);
  } catch (const StoreError& e) {
    std::cerr << "cannot open the store: " << e.what() << "\n";
    return kExitRefused;
  }
  admin::Call call{op.method, op.path, op.query, op.body, actor(), now_unix_ms()};
  admin::Reply reply = admin::handle(*store, *config, call);
  if (reply.status >= 400) {
    std::string message = reply.body;
    boost::system::error_code ec;
    boost::json::value body = boost::json::parse(reply.body, ec);
    if (!ec && body.is_object()) {
      if (const auto* error = body.as_object().if_contains("error"); error && error->is_object()) {
        if (const auto* m = error->as_object().if_contains("message"); m && m->is_string())
          message = std::string(m->as_string());
      }
    }
    std::cerr << "error: " << message << "\n";
    return kExitRefused;
  }
  return on_reply(reply.body);
}

}  // namespace tollbooth::cli
