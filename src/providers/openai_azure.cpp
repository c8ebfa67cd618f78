#include "providers/openai_azure.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/pchars.hpp>

#include "config/config.hpp"
#include "core/endpoint.hpp"

namespace tollbooth {

void build_azure_chat(const ProviderConfig& provider, const Endpoint& endpoint,
                      const RouteConfig& route, std::string_view client_body,
                      const openai::ChatInspection& facts, UpstreamRequest& out) {
  const std::string& deployment = route.upstream_model;
  std::string path = endpoint.base_path;
  if (provider.azure_api == AzureApi::v1) {
    path += "/openai/v1/chat/completions";
  } else {
    path += "/openai/deployments/";
    path += boost::urls::encode(deployment, boost::urls::pchars);
    path += "/chat/completions?api-version=";
    path += boost::urls::encode(provider.api_version, boost::urls::pchars);
  }
  detail::build_openai_wire(endpoint, path, {}, deployment, "api-key", {}, provider.api_key,
                            client_body, facts, out);
}

}  // namespace tollbooth
