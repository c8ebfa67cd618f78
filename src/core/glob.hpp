#pragma once
// Shell-style globs for the model and region lists of keys and teams ("gpt-4o*", "us-*"):
// '*' matches any run of characters (also none), '?' exactly one byte, anything else itself,
// case-sensitive. There is no escape: model and region names do not contain '*' or '?'.
#include <span>
#include <string>
#include <string_view>

namespace tollbooth {

// Iterative, with one remembered star: O(pattern × text) at worst and no recursion, so a
// pattern like "a*a*a*a*b" against a long text cannot blow up.
bool glob_match(std::string_view pattern, std::string_view text) noexcept;

// True when some pattern matches; an empty list allows everything (the records' convention).
bool matches_any(std::span<const std::string> patterns, std::string_view text) noexcept;

// True when every text `narrow` matches is also matched by `wide` (narrow's wildcards are only
// consumed by wide's: '*' by '*', '?' by '?' or '*'). Sound, and exact for the lists people
// write ("us-*" covers "us-east-*" and "us-east-1"; "us-?" does not cover "us-*"); where it
// cannot tell, it answers false, which only ever narrows a restriction.
bool glob_covers(std::string_view wide, std::string_view narrow) noexcept;

}  // namespace tollbooth
