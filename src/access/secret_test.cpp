#include "access/secret.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

namespace tollbooth::access {
namespace {

TEST(Secret, GeneratedSecretsHaveTheDocumentedShape) {
  std::set<std::string> seen;
  bool dash = false, underscore = false;
  for (int i = 0; i < 300; ++i) {
    std::string s = generate_secret();
    ASSERT_EQ(s.size(), kSecretLength);
    ASSERT_TRUE(s.starts_with("tk-"));
    ASSERT_TRUE(looks_like_secret(s)) << "secret #" << i;
    EXPECT_EQ(s.find('='), std::string::npos);  // no padding
    // 256 bits in 43 characters: the last one carries 4 bits and two zero bits, so only every
    // fourth letter of the alphabet can end a correctly encoded secret.
    EXPECT_NE(std::string_view("AEIMQUYcgkosw048").find(s.back()), std::string_view::npos)
        << "last character " << s.back();
    dash |= s.find('-', 3) != std::string::npos;
    underscore |= s.find('_') != std::string::npos;
    seen.insert(std::move(s));
  }
  EXPECT_EQ(seen.size(), 300u);
  EXPECT_TRUE(dash);  // URL-safe alphabet, not '+' and '/'
  EXPECT_TRUE(underscore);
}

TEST(Secret, HashIsLowercaseHexSha256) {
  // FIPS 180-2 test vectors.
  EXPECT_EQ(hash_secret("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hash_secret(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::string s = generate_secret();
  EXPECT_EQ(hash_secret(s), hash_secret(s));
  EXPECT_NE(hash_secret(s), hash_secret(generate_secret()));
}

TEST(Secret, DigestAndStoredHashAgree) {
  std::string s = generate_secret();
  auto parsed = parse_secret_hash(hash_secret(s));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, secret_digest(s));
  std::string upper = hash_secret(s);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(parse_secret_hash(upper), parsed);
}

TEST(Secret, ParseHashRefusesWhatIsNotAHash) {
  EXPECT_FALSE(parse_secret_hash("").has_value());
  EXPECT_FALSE(parse_secret_hash(std::string(63, 'a')).has_value());
  EXPECT_FALSE(parse_secret_hash(std::string(65, 'a')).has_value());
  EXPECT_FALSE(parse_secret_hash(std::string(63, 'a') + "g").has_value());
  EXPECT_TRUE(parse_secret_hash(std::string(64, 'F')).has_value());
}

TEST(Secret, DigestIsTheSameOnEveryThread) {
  std::string s = generate_secret();
  SecretDigest expected = secret_digest(s);
  std::vector<std::thread> threads;
  std::vector<int> ok(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      int n = 0;
      for (int i = 0; i < 1000; ++i) n += secret_digest(s) == expected;
      ok[t] = n;
    });
  }
  for (auto& th : threads) th.join();
  for (int n : ok) EXPECT_EQ(n, 1000);
}

TEST(Secret, Last4IsTheTail) {
  EXPECT_EQ(last4("tk-abcdefgh"), "efgh");
  EXPECT_EQ(last4("abc"), "abc");
  EXPECT_EQ(last4(""), "");
}

TEST(Secret, KeyIdsAreKeyPrefixAnd16LowercaseHex) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string id = new_key_id();
    ASSERT_EQ(id.size(), 20u);
    ASSERT_TRUE(id.starts_with("key_"));
    for (char c : id.substr(4)) {
      EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << id;
    }
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(Secret, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("tk-abc", "tk-abc"));
  EXPECT_FALSE(constant_time_equal("tk-abc", "tk-abd"));
  EXPECT_FALSE(constant_time_equal("tk-abc", "tk-ab"));
  EXPECT_FALSE(constant_time_equal("", "x"));
  std::string a = generate_secret();
  std::string b = a;
  EXPECT_TRUE(constant_time_equal(a, b));
  b[0] = 'x';
  EXPECT_FALSE(constant_time_equal(a, b));
}

TEST(Secret, LooksLikeSecretRefusesGarbageBeforeHashing) {
  std::string good = "tk-" + std::string(43, 'A');
  EXPECT_TRUE(looks_like_secret(good));
  EXPECT_TRUE(looks_like_secret("tk-" + std::string(21, '-') + std::string(22, '_')));
  EXPECT_FALSE(looks_like_secret(""));
  EXPECT_FALSE(looks_like_secret("tk-"));
  EXPECT_FALSE(looks_like_secret("tk-" + std::string(42, 'A')));  // short
  EXPECT_FALSE(looks_like_secret("tk-" + std::string(44, 'A')));  // long
  EXPECT_FALSE(looks_like_secret("sk-" + std::string(43, 'A')));  // another vendor's key
  EXPECT_FALSE(looks_like_secret("TK-" + std::string(43, 'A')));
  EXPECT_FALSE(looks_like_secret("tk-" + std::string(42, 'A') + "="));  // padding
  EXPECT_FALSE(looks_like_secret("tk-" + std::string(42, 'A') + "+"));  // standard base64
  EXPECT_FALSE(looks_like_secret("tk-" + std::string(42, 'A') + "/"));
  EXPECT_FALSE(looks_like_secret("tk-" + std::string(42, 'A') + " "));
  EXPECT_FALSE(looks_like_secret("tk-" + std::string(42, 'A') + "\xC3"));
  EXPECT_FALSE(looks_like_secret("tk-" + std::string(42, 'A') + '\0'));
  EXPECT_FALSE(looks_like_secret("Bearer " + good));
}

}  // namespace
}  // namespace tollbooth::access
