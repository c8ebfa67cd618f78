#include "core/text.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace tollbooth {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

constexpr std::string_view kFFFD = "\xEF\xBF\xBD";

// What every excerpt must be, whatever the input: valid UTF-8 with no byte that a log file or a
// terminal treats as a control.
void expect_safe(const std::string& out, std::string_view input) {
  EXPECT_TRUE(is_valid_utf8(out)) << "input of " << input.size() << " bytes";
  for (char c : out) {
    auto b = static_cast<unsigned char>(c);
    ASSERT_TRUE(b >= 0x20 && b != 0x7F) << "control byte " << int(b);
  }
  EXPECT_EQ(out.find("\xC2\x85"), std::string::npos);      // NEL
  EXPECT_EQ(out.find("\xE2\x80\xA8"), std::string::npos);  // U+2028
  EXPECT_EQ(out.find("\xE2\x80\xA9"), std::string::npos);  // U+2029
}

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

// --- excerpt_client_text: bounding ------------------------------------------------------------

TEST(ClientText, ShortModelNameIsUnchanged) {
  EXPECT_EQ(excerpt_client_text("gpt-4o-mini"), "gpt-4o-mini");
  EXPECT_EQ(excerpt_client_text(""), "");
  EXPECT_EQ(excerpt_client_text("a/b c:d \"e\" `f` \\g"), "a/b c:d \"e\" `f` \\g");
}

TEST(ClientText, LongModelNameIsCutWithItsLength) {
  std::string huge(1 << 20, 'm');
  std::string out = excerpt_client_text(huge);
  EXPECT_EQ(out, std::string(128, 'm') + "\xE2\x80\xA6 (1048576 bytes)");
  expect_safe(out, huge);
}

TEST(ClientText, TextExactlyAtTheBoundIsNotCut) {
  std::string name(128, 'x');
  EXPECT_EQ(excerpt_client_text(name), name);
  EXPECT_EQ(excerpt_client_text(name + "y"), name + "\xE2\x80\xA6 (129 bytes)");
}

TEST(ClientText, CallerChoosesTheBound) {
  EXPECT_EQ(excerpt_client_text("/v1/chat/completions", 3), "/v1\xE2\x80\xA6 (20 bytes)");
  EXPECT_EQ(excerpt_client_text("abc", 0), "\xE2\x80\xA6 (3 bytes)");
  EXPECT_EQ(excerpt_client_text("", 0), "");
  EXPECT_EQ(excerpt_client_text(std::string(300, 'p'), kClientPathExcerptBytes),
            std::string(256, 'p') + "\xE2\x80\xA6 (300 bytes)");
}

TEST(ClientText, CutNeverSplitsAMultiByteCharacter) {
  // 2-, 3- and 4-byte characters after one ASCII byte, so every bound lands somewhere new.
  const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z";  // aé€😀z
  const std::array<std::string_view, 5> chars = {"a", "\xC3\xA9", "\xE2\x82\xAC",
                                                 "\xF0\x9F\x98\x80", "z"};
  for (std::size_t max = 0; max <= text.size(); ++max) {
    std::string expected;
    for (std::string_view c : chars) {
      if (expected.size() + c.size() > max) break;
      expected += c;
    }
    if (max < text.size()) expected += "\xE2\x80\xA6 (11 bytes)";
    std::string out = excerpt_client_text(text, max);
    EXPECT_EQ(out, expected) << "max_bytes " << max;
    expect_safe(out, text);
  }
}

TEST(ClientText, ReplacementsAndEscapesCountTowardsTheBound) {
  // Each 0xFF becomes 3 bytes and each newline 2: the bound is on what is written, not read.
  std::string out = excerpt_client_text(std::string(100, '\xFF'), 10);
  EXPECT_EQ(out, repeat(kFFFD, 3) + "\xE2\x80\xA6 (100 bytes)");
  out = excerpt_client_text(std::string(100, '\n'), 5);
  EXPECT_EQ(out, "\\n\\n\xE2\x80\xA6 (100 bytes)");
  out = excerpt_client_text("ab\x1B", 7);  // the 6-byte escape does not fit after "ab"
  EXPECT_EQ(out, "ab\xE2\x80\xA6 (3 bytes)");
}

// --- excerpt_client_text: valid UTF-8 passes, invalid becomes U+FFFD ------------------------

TEST(ClientText, ValidMultiByteCharactersPassThrough) {
  const std::string text =
      "caf\xC3\xA9 \xE2\x82\xAC \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF "
      "\xEF\xBF\xBD";  // café € 中文 😀 U+10FFFF U+FFFD
  EXPECT_EQ(excerpt_client_text(text), text);
  // The smallest and largest code point of each length.
  for (std::string_view c : {"\xC2\xA0"sv, "\xDF\xBF"sv, "\xE0\xA0\x80"sv, "\xEF\xBF\xBF"sv,
                             "\xF0\x90\x80\x80"sv, "\xF4\x8F\xBF\xBF"sv})
    EXPECT_EQ(excerpt_client_text(c), c);
}

TEST(ClientText, OverlongEncodingsAreReplaced) {
  // 0xC0 0xAF is an overlong '/', the classic path-traversal trick: no '/' may come out of it.
  EXPECT_EQ(excerpt_client_text("a\xC0\xAF"s + "b"), "a"s + repeat(kFFFD, 2) + "b");
  EXPECT_EQ(excerpt_client_text("\xC1\xBF"), repeat(kFFFD, 2));
  EXPECT_EQ(excerpt_client_text("\xE0\x80\xAF"), repeat(kFFFD, 3));
  EXPECT_EQ(excerpt_client_text("\xE0\x9F\xBF"), repeat(kFFFD, 3));
  EXPECT_EQ(excerpt_client_text("\xF0\x80\x80\xAF"), repeat(kFFFD, 4));
  EXPECT_EQ(excerpt_client_text("\xF0\x8F\xBF\xBF"), repeat(kFFFD, 4));
}

TEST(ClientText, SurrogatesAreReplaced) {
  EXPECT_EQ(excerpt_client_text("\xED\xA0\x80"), repeat(kFFFD, 3));  // U+D800
  EXPECT_EQ(excerpt_client_text("\xED\xBF\xBF"), repeat(kFFFD, 3));  // U+DFFF
  // A CESU-8 pair (U+1F600 as two surrogates) is six bad bytes, not an emoji.
  EXPECT_EQ(excerpt_client_text("\xED\xA0\xBD\xED\xB8\x80"), repeat(kFFFD, 6));
  // Just below the surrogates is fine.
  EXPECT_EQ(excerpt_client_text("\xED\x9F\xBF"), "\xED\x9F\xBF");
}

TEST(ClientText, BytesAboveF4AndCodePointsAboveU10FFFFAreReplaced) {
  for (int b = 0xF5; b <= 0xFF; ++b) {
    std::string s(1, static_cast<char>(b));
    EXPECT_EQ(excerpt_client_text(s + "x"), std::string(kFFFD) + "x") << b;
  }
  EXPECT_EQ(excerpt_client_text("\xF4\x90\x80\x80"), repeat(kFFFD, 4));  // U+110000
  EXPECT_EQ(excerpt_client_text("\xF5\x80\x80\x80"), repeat(kFFFD, 4));
}

TEST(ClientText, LoneContinuationBytesAreReplaced) {
  EXPECT_EQ(excerpt_client_text("\x80"), kFFFD);
  EXPECT_EQ(excerpt_client_text("a\xBF"s + "b"), "a"s + std::string(kFFFD) + "b");
  // A valid 2-byte character followed by one continuation byte too many.
  EXPECT_EQ(excerpt_client_text("\xC3\xA9\xA9"), "\xC3\xA9"s + std::string(kFFFD));
}

TEST(ClientText, TruncatedSequenceIsOneReplacement) {
  // The maximal subpart of a cut-off character is one U+FFFD, and the byte that broke it is
  // read again as the start of the next character.
  EXPECT_EQ(excerpt_client_text("\xE2\x82"), kFFFD);
  EXPECT_EQ(excerpt_client_text("\xE2\x82x"), std::string(kFFFD) + "x");
  EXPECT_EQ(excerpt_client_text("\xF0\x9F\x98"), kFFFD);
  EXPECT_EQ(excerpt_client_text("\xF0\x9F\x98\xC3\xA9"), std::string(kFFFD) + "\xC3\xA9");
  EXPECT_EQ(excerpt_client_text("\xC3"), kFFFD);
  EXPECT_EQ(excerpt_client_text("\xC3\n"), std::string(kFFFD) + "\\n");
}

// --- excerpt_client_text: controls become visible escapes -----------------------------------

TEST(ClientText, NewlineCannotForgeALogLine) {
  std::string out = excerpt_client_text("gpt-4o\n2026-11-27 INFO admin login ok\r\n");
  EXPECT_EQ(out, "gpt-4o\\n2026-11-27 INFO admin login ok\\r\\n");
  expect_safe(out, "");
}

TEST(ClientText, EmbeddedNulIsEscaped) {
  EXPECT_EQ(excerpt_client_text("gpt\0-4o"s), "gpt\\u0000-4o");
}

TEST(ClientText, OtherControlCharactersAndDelAreEscaped) {
  EXPECT_EQ(excerpt_client_text("\t"), "\\t");
  EXPECT_EQ(excerpt_client_text("\x1B[2J"), "\\u001B[2J");  // a terminal escape sequence
  EXPECT_EQ(excerpt_client_text("\x01\x1F\x7F"), "\\u0001\\u001F\\u007F");
  for (int b = 0; b < 0x20; ++b) expect_safe(excerpt_client_text(std::string(1, char(b))), "");
}

TEST(ClientText, UnicodeLineBreaksAndC1ControlsAreEscaped) {
  EXPECT_EQ(excerpt_client_text("a\xC2\x85z"), "a\\u0085z");  // NEL
  EXPECT_EQ(excerpt_client_text("\xC2\x9B"), "\\u009B");      // 8-bit CSI
  EXPECT_EQ(excerpt_client_text("\xE2\x80\xA8\xE2\x80\xA9"), "\\u2028\\u2029");
  EXPECT_EQ(excerpt_client_text("\xC2\xA0"), "\xC2\xA0");  // NBSP is printable, kept
}

TEST(ClientText, EveryShortInputGivesASafeExcerpt) {
  // Every string of one or two bytes, and three- and four-byte strings built from the bytes at
  // the edges of the UTF-8 ranges: the output is always valid and control-free.
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      std::string s{char(a), char(b)};
      expect_safe(excerpt_client_text(s), s);
      expect_safe(excerpt_client_text(s, 1), s);
    }
  }
  const std::array<unsigned char, 16> edges = {0x00, 0x0A, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F,
                                               0xA0, 0xBF, 0xC0, 0xC2, 0xE0, 0xED, 0xF0, 0xF4};
  for (int lead = 0xC0; lead < 256; ++lead)
    for (unsigned char b : edges)
      for (unsigned char c : edges)
        for (unsigned char d : edges) {
          std::string s{char(lead), char(b), char(c), char(d)};
          expect_safe(excerpt_client_text(s), s);
          expect_safe(excerpt_client_text(s, 3), s);
        }
}

// --- repair_utf8 and is_valid_utf8 ---------------------------------------------------------

TEST(Utf8, WellFormedTextIsValid) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii\n\0"s));
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF"));
  EXPECT_TRUE(is_valid_utf8("\xED\x9F\xBF\xEE\x80\x80"));  // around the surrogates
}

TEST(Utf8, EachKindOfIllFormedTextIsInvalid) {
  for (std::string_view bad : {"\xC0\xAF"sv, "\xE0\x80\xAF"sv, "\xF0\x80\x80\xAF"sv,  // overlong
                               "\xED\xA0\x80"sv, "\xED\xBF\xBF"sv,                    // surrogate
                               "\xF4\x90\x80\x80"sv, "\xF5\x80\x80\x80"sv, "\xFF"sv,  // too big
                               "\x80"sv, "a\xBF"sv,                                   // lone
                               "\xE2\x82"sv, "\xF0\x9F\x98"sv, "\xC3"sv})             // truncated
    EXPECT_FALSE(is_valid_utf8(bad)) << testing::PrintToString(bad);
}

TEST(Utf8, RepairKeepsValidTextAndControlCharacters) {
  // JSON escapes controls itself, so repair only fixes the encoding.
  std::string text = "line one\nline two\ttab \x01\x7F\0 caf\xC3\xA9 \xE2\x80\xA8"s;
  EXPECT_EQ(repair_utf8(text), text);
  EXPECT_EQ(repair_utf8("caf\xC3 ok \xED\xA0\x80!"),
            "caf"s + std::string(kFFFD) + " ok " + repeat(kFFFD, 3) + "!");
}

TEST(Utf8, RepairIsBoundedOnlyWhenAsked) {
  std::string big(100'000, 'e');
  EXPECT_EQ(repair_utf8(big), big);
  EXPECT_EQ(repair_utf8(big, 4), "eeee\xE2\x80\xA6 (100000 bytes)");
  EXPECT_EQ(repair_utf8("\xE2\x82\xAC\xE2\x82\xAC", 5), "\xE2\x82\xAC\xE2\x80\xA6 (6 bytes)");
}

TEST(Utf8, RepairAndValidationAgree) {
  // Repair leaves a string alone exactly when the validator accepts it, and its output is
  // always accepted: the hand-written decoder and simdjson's validator implement one standard.
  auto check = [](const std::string& s) {
    std::string fixed = repair_utf8(s);
    EXPECT_EQ(fixed == s, is_valid_utf8(s)) << testing::PrintToString(s);
    EXPECT_TRUE(is_valid_utf8(fixed)) << testing::PrintToString(s);
  };
  for (int a = 0; a < 256; ++a)
    for (int b = 0; b < 256; ++b) check(std::string{char(a), char(b)});
  for (int a = 0xC0; a < 256; ++a)
    for (int b = 0x70; b < 0xD0; ++b)
      for (int c = 0x70; c < 0xD0; c += 3) check(std::string{char(a), char(b), char(c)});
  for (int a = 0xF0; a < 0xF8; ++a)
    for (int b = 0x70; b < 0xD0; b += 1)
      for (int c : {0x7F, 0x80, 0xBF, 0xC0})
        for (int d : {0x7F, 0x80, 0xBF, 0xC0})
          check(std::string{char(a), char(b), char(c), char(d)});
}

}  // namespace
}  // namespace tollbooth

namespace tollbooth {
namespace {

TEST(ClientText, PlainExcerptIsExactlyTheTextReturnedUnchanged) {
  for (std::string_view text : {"gpt-4o", "/v1/chat/completions?x=1", "", "a b~"})
    EXPECT_TRUE(is_plain_excerpt(text, 128)) << text;
  for (std::string_view text : {"nope\n[info]", "caf\xc3\xa9", "del\x7f", "tab\t"})
    EXPECT_FALSE(is_plain_excerpt(text, 128)) << text;
  EXPECT_FALSE(is_plain_excerpt(std::string(129, 'm'), 128));
  for (std::string_view text : {"gpt-4o", "/v1/models"})
    EXPECT_EQ(excerpt_client_text(text, 128), text) << "plain means unchanged";
}

TEST(ClientText, PlainExcerptFindsAnyByteOutOfRangeAtAnyPlace) {
  // Every byte value at every place of strings of 1 to 24 bytes, the rest plain ('a' and the
  // range's ends): the word-at-a-time test agrees with the byte-at-a-time rule.
  for (std::size_t size = 1; size <= 24; ++size) {
    for (char fill : {'a', ' ', '~'}) {
      for (std::size_t at = 0; at < size; ++at) {
        for (int b = 0; b < 256; ++b) {
          std::string text(size, fill);
          text[at] = static_cast<char>(b);
          EXPECT_EQ(is_plain_excerpt(text, 128), b >= 0x20 && b <= 0x7e)
              << "size " << size << " at " << at << " byte " << b;
        }
      }
    }
  }
}

TEST(JsonString, QuotesBackslashesAndControlsAreEscapedTheRestKept) {
  std::string out = "x=";
  append_json_string(out, "say \"hi\" \\ now\n\x01 caf\xc3\xa9");
  EXPECT_EQ(out, "x=\"say \\\"hi\\\" \\\\ now\\u000a\\u0001 caf\xc3\xa9\"");
  std::string broken;
  append_json_string(broken, std::string_view("a\xff", 2));
  EXPECT_EQ(broken, "\"a\xef\xbf\xbd\"");  // U+FFFD, as repair_utf8 makes it
}

}  // namespace
}  // namespace tollbooth
