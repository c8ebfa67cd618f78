#pragma once
// The Responses API's state as the gateway keeps it (docs/responses.md, "State"): what a
// response's record holds (the input items of its turn, the response object), the history a
// chain of kept responses makes for the next turn, and the bodies of GET /v1/responses/{id},
// its /input_items and DELETE. Pure: JSON text in, JSON text out; the store and the I/O are the
// gateway's.
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace tollbooth::openai {

// The input items of a request's turn as a JSON array: an array `input` as it is, a string one
// as one user message ({"type":"message","role":"user","content":[{"type":"input_text",...}]}),
// none as []. `body` passed inspect_responses_request.
std::string input_items_json(std::string_view body);

// One kept turn of a conversation: its input items and its response object (JSON text).
struct KeptTurn {
  std::string_view input_items;
  std::string_view response;
};

// The request `body` continuing the conversation `turns` (oldest first) with its history
// spelled out, for an upstream that keeps no state: `input` becomes each turn's input items and
// then its output items, followed by the request's own input; `previous_response_id` is
// removed. History items lose their `id` (the ids are the gateway's, unknown upstream) and
// reasoning items are dropped (their encrypted_content belongs to the organisation that made
// them). Error (400, code conversation_too_long, param previous_response_id) when the result
// would pass `max_bytes`.
Result<std::string> continue_conversation(std::string_view body, std::span<const KeptTurn> turns,
                                          std::size_t max_bytes);

// The request `body` without its `reasoning` input items, for an upstream of another
// organisation than the one the request first went to (a fallback): their encrypted_content is
// the first one's, which another refuses, and a reasoning item without it names an item the
// upstream never kept. nullopt when the body has no reasoning item (send it as it is).
std::optional<std::string> without_reasoning(std::string_view body);

// What the gateway reads of a response object it may keep.
struct ResponseFacts {
  std::string id;
  std::string status;  // "completed", "incomplete", "failed", ...
};
// nullopt when `response` is not a JSON object with a string `id`.
std::optional<ResponseFacts> response_facts(std::string_view response);

// The `response` object (JSON text) of the last response.completed or response.incomplete
// event among the whole SSE events in `sse`; nullopt when there is none.
std::optional<std::string> terminal_response(std::string_view sse);

// GET /v1/responses/{id}/input_items: a page of a kept turn's input items, in OpenAI's list
// shape ({"object":"list","data":[...],"first_id","last_id","has_more"}). `query` is the URL's
// query string: `limit` (1 to 100, default 20), `order` (`asc` or `desc`, the default),
// `after` (an item id: the page starts after it). An item without an `id` is listed with
// "<response id>_item_<n>" (n its position). Error (400, naming the parameter) for a bad one.
Result<std::string> input_items_page(std::string_view items_json, std::string_view response_id,
                                     std::string_view query);

// The body of a DELETE that removed response `id`.
std::string response_deleted_body(std::string_view id);

}  // namespace tollbooth::openai
