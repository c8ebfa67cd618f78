#pragma once
// A kept Responses API response, as the store keeps it and the gateway reads it back (the
// Responses front's state: store/, app/ and gateway/ share this one shape).
#include <cstdint>
#include <string>
#include <vector>

namespace tollbooth {

// A Responses API response the gateway keeps (POST /v1/responses with `store` not false): the
// response object as its client got it and the input items of its turn, for
// GET /v1/responses/{id} and for rebuilding a conversation from `previous_response_id`. A key
// reaches only its own: records are identified by (key, id), so an id another key (or a
// hostile upstream) also uses is a different record.
struct StoredResponse {
  std::string key;              // the virtual key's id that made it; "" without keys
  std::string id;               // the response's id ("resp_...")
  std::int64_t created_ms = 0;  // when it was kept
  std::int64_t expires_ms = 0;  // from then on it is as if deleted (store.responses_retention)
  std::string previous_id;      // the previous_response_id its request continued; "" none
  std::string provider;         // not empty: the response lives at this provider (a passed-
                                // through upstream keeps the conversation), where the next
                                // turn must go; empty: the gateway rebuilds the history
  std::string input_items;      // a JSON array: the input items of its turn, in order
  std::string response;         // a JSON object: the response

  bool operator==(const StoredResponse&) const = default;
};

// A kept response and the conversation it continues, as read for one key (find_conversation in
// store/store.hpp).
struct KeptConversation {
  enum class Status : std::uint8_t {
    found,
    not_found,     // the key has no such response (or it expired)
    broken,        // an earlier response of the conversation is gone: `missing`
    too_long,      // the conversation is longer than the bytes the caller would take
    store_failed,  // the store could not be read (or there is none)
  };
  Status status = Status::not_found;
  // found: the response asked for; with a conversation asked for, then the ones it continued,
  // newest first, up to the first of the conversation or one that lives upstream.
  std::vector<StoredResponse> chain;
  std::string missing;
};

}  // namespace tollbooth
