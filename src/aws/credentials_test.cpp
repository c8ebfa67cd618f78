#include "aws/credentials.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace aws = tollbooth::aws;

namespace {

constexpr const char* kHomeFile = "/home/u/.aws/credentials";

// A fake process environment and file system.
struct World {
  std::map<std::string, std::string> env{{"HOME", "/home/u"}};
  std::map<std::string, std::string> files;
  std::vector<std::string> reads;

  aws::Lookups lookups() {
    aws::Lookups out;
    out.getenv = [this](const char* name) -> const char* {
      auto it = env.find(name);
      return it == env.end() ? nullptr : it->second.c_str();
    };
    out.read_file = [this](const std::string& path) -> std::optional<std::string> {
      reads.push_back(path);
      auto it = files.find(path);
      if (it == files.end()) return std::nullopt;
      return it->second;
    };
    return out;
  }

  aws::Auth resolve(const aws::AuthConfig& config = {}) {
    auto auth = aws::resolve_auth(config, lookups());
    EXPECT_TRUE(auth.ok()) << (auth.ok() ? "" : auth.error().detail);
    return auth.ok() ? auth.value() : aws::Auth{};
  }

  std::string failure(const aws::AuthConfig& config = {}) {
    auto auth = aws::resolve_auth(config, lookups());
    EXPECT_FALSE(auth.ok());
    if (auth.ok()) return {};
    EXPECT_EQ(auth.error().message, "the AWS provider has no usable credentials");
    EXPECT_EQ(auth.error().kind, tollbooth::ErrorKind::unavailable);
    return auth.error().detail;
  }

  void set_env_keys() {
    env["AWS_ACCESS_KEY_ID"] = "AKIDENV";
    env["AWS_SECRET_ACCESS_KEY"] = "env-secret";
  }
};

constexpr const char* kFile =
    "# shared credentials\n"
    "[default]\n"
    "aws_access_key_id = AKIDDEFAULT\n"
    "aws_secret_access_key = default-secret\n"
    "\n"
    "[prod]\n"
    "aws_access_key_id=AKIDPROD\n"
    "aws_secret_access_key=prod-secret\n"
    "aws_session_token=prod-token\n";

aws::AuthConfig config_keys() {
  aws::AuthConfig config;
  config.access_key_id = "AKIDCONFIG";
  config.secret_access_key = "config-secret";
  return config;
}

}  // namespace

// ---- 1. provider config ------------------------------------------------------------------------

TEST(AwsCredentials, ConfigKeysComeFirst) {
  World world;
  world.set_env_keys();
  world.env["AWS_BEARER_TOKEN_BEDROCK"] = "env-api-key";
  world.files[kHomeFile] = kFile;
  aws::AuthConfig config = config_keys();
  config.session_token = "config-token";
  aws::Auth auth = world.resolve(config);
  EXPECT_EQ(auth.mode, aws::AuthMode::sigv4);
  EXPECT_EQ(auth.credentials.access_key_id, "AKIDCONFIG");
  EXPECT_EQ(auth.credentials.secret_access_key, "config-secret");
  EXPECT_EQ(auth.credentials.session_token, "config-token");
  EXPECT_EQ(auth.source, "provider config (access keys)");
  EXPECT_TRUE(world.reads.empty());
}

TEST(AwsCredentials, ConfigApiKeyIsBearerAuth) {
  World world;
  world.set_env_keys();
  aws::AuthConfig config;
  config.bearer_token = "config-api-key";
  aws::Auth auth = world.resolve(config);
  EXPECT_EQ(auth.mode, aws::AuthMode::bearer);
  EXPECT_EQ(auth.bearer_token, "config-api-key");
  EXPECT_EQ(auth.source, "provider config (Bedrock API key)");
}

TEST(AwsCredentials, ConfigWithBothApiKeyAndAccessKeysIsAnError) {
  World world;
  aws::AuthConfig config = config_keys();
  config.bearer_token = "config-api-key";
  EXPECT_NE(world.failure(config).find("both"), std::string::npos);
}

TEST(AwsCredentials, ConfigHalfKeysIsAnErrorNotAFallthrough) {
  World world;
  world.set_env_keys();
  aws::AuthConfig only_id;
  only_id.access_key_id = "AKIDCONFIG";
  EXPECT_NE(world.failure(only_id).find("no secret_access_key"), std::string::npos);
  aws::AuthConfig only_secret;
  only_secret.secret_access_key = "config-secret";
  std::string detail = world.failure(only_secret);
  EXPECT_NE(detail.find("no access_key_id"), std::string::npos);
  EXPECT_EQ(detail.find("config-secret"), std::string::npos);
}

// ---- 2. AWS_BEARER_TOKEN_BEDROCK, 3. AWS_ACCESS_KEY_ID ----------------------------------------

TEST(AwsCredentials, BearerTokenEnvBeatsEnvKeysAsTheSdksDo) {
  World world;
  world.set_env_keys();
  world.env["AWS_BEARER_TOKEN_BEDROCK"] = "env-api-key";
  aws::Auth auth = world.resolve();
  EXPECT_EQ(auth.mode, aws::AuthMode::bearer);
  EXPECT_EQ(auth.bearer_token, "env-api-key");
  EXPECT_EQ(auth.source, "environment (AWS_BEARER_TOKEN_BEDROCK)");
}

TEST(AwsCredentials, BearerTokenEnvIgnoredWhenNotAllowed) {
  World world;
  world.set_env_keys();
  world.env["AWS_BEARER_TOKEN_BEDROCK"] = "env-api-key";
  aws::AuthConfig config;
  config.allow_bearer_env = false;
  aws::Auth auth = world.resolve(config);
  EXPECT_EQ(auth.mode, aws::AuthMode::sigv4);
  EXPECT_EQ(auth.credentials.access_key_id, "AKIDENV");
}

TEST(AwsCredentials, EnvKeysWithSessionToken) {
  World world;
  world.set_env_keys();
  world.env["AWS_SESSION_TOKEN"] = "env-token";
  world.files[kHomeFile] = kFile;
  aws::Auth auth = world.resolve();
  EXPECT_EQ(auth.mode, aws::AuthMode::sigv4);
  EXPECT_EQ(auth.credentials.access_key_id, "AKIDENV");
  EXPECT_EQ(auth.credentials.secret_access_key, "env-secret");
  EXPECT_EQ(auth.credentials.session_token, "env-token");
  EXPECT_EQ(auth.source, "environment (AWS_ACCESS_KEY_ID)");
  EXPECT_TRUE(world.reads.empty());
}

TEST(AwsCredentials, EnvLegacySecurityTokenName) {
  World world;
  world.set_env_keys();
  world.env["AWS_SECURITY_TOKEN"] = "legacy-token";
  EXPECT_EQ(world.resolve().credentials.session_token, "legacy-token");
}

TEST(AwsCredentials, EnvHalfKeysIsAnError) {
  World world;
  world.files[kHomeFile] = kFile;
  world.env["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  EXPECT_NE(world.failure().find("AWS_SECRET_ACCESS_KEY is not"), std::string::npos);
  world.env.erase("AWS_ACCESS_KEY_ID");
  world.env["AWS_SECRET_ACCESS_KEY"] = "env-secret";
  std::string detail = world.failure();
  EXPECT_NE(detail.find("AWS_ACCESS_KEY_ID is not"), std::string::npos);
  EXPECT_EQ(detail.find("env-secret"), std::string::npos);
}

TEST(AwsCredentials, EmptyEnvValuesCountAsUnset) {
  World world;
  world.env["AWS_BEARER_TOKEN_BEDROCK"] = "";
  world.env["AWS_ACCESS_KEY_ID"] = "";
  world.env["AWS_SECRET_ACCESS_KEY"] = "";
  world.files[kHomeFile] = kFile;
  EXPECT_EQ(world.resolve().credentials.access_key_id, "AKIDDEFAULT");
}

// ---- 4. shared credentials file -----------------------------------------------------------------

TEST(AwsCredentials, SharedFileDefaultProfile) {
  World world;
  world.files[kHomeFile] = kFile;
  aws::Auth auth = world.resolve();
  EXPECT_EQ(auth.credentials.access_key_id, "AKIDDEFAULT");
  EXPECT_EQ(auth.credentials.secret_access_key, "default-secret");
  EXPECT_EQ(auth.credentials.session_token, "");
  EXPECT_EQ(auth.source, "shared credentials file /home/u/.aws/credentials [default]");
}

TEST(AwsCredentials, SharedFileProfileFromAwsProfile) {
  World world;
  world.files[kHomeFile] = kFile;
  world.env["AWS_PROFILE"] = "prod";
  aws::Auth auth = world.resolve();
  EXPECT_EQ(auth.credentials.access_key_id, "AKIDPROD");
  EXPECT_EQ(auth.credentials.session_token, "prod-token");
  EXPECT_EQ(auth.source, "shared credentials file /home/u/.aws/credentials [prod]");
}

TEST(AwsCredentials, ConfigProfileBeatsAwsProfile) {
  World world;
  world.files[kHomeFile] = kFile;
  world.env["AWS_PROFILE"] = "prod";
  aws::AuthConfig config;
  config.profile = "default";
  EXPECT_EQ(world.resolve(config).credentials.access_key_id, "AKIDDEFAULT");
}

TEST(AwsCredentials, SharedFilePathFromEnvThenConfig) {
  World world;
  world.files["/etc/aws/creds"] = kFile;
  world.files["/srv/other"] = "[default]\naws_access_key_id=AKIDOTHER\naws_secret_access_key=s\n";
  world.env["AWS_SHARED_CREDENTIALS_FILE"] = "/etc/aws/creds";
  EXPECT_EQ(world.resolve().credentials.access_key_id, "AKIDDEFAULT");
  aws::AuthConfig config;
  config.credentials_file = "/srv/other";
  EXPECT_EQ(world.resolve(config).credentials.access_key_id, "AKIDOTHER");
  config.credentials_file = "~/creds";
  world.files["/home/u/creds"] = kFile;
  EXPECT_EQ(world.resolve(config).source, "shared credentials file /home/u/creds [default]");
}

TEST(AwsCredentials, NamedProfileThatIsMissingIsAnError) {
  World world;
  world.files[kHomeFile] = kFile;
  world.env["AWS_PROFILE"] = "staging";
  EXPECT_NE(world.failure().find("no [staging] profile"), std::string::npos);
  world.files.clear();
  EXPECT_NE(world.failure().find("cannot read shared credentials file " + std::string(kHomeFile) +
                                 " [staging]"),
            std::string::npos);
}

TEST(AwsCredentials, ConfiguredFileThatIsMissingIsAnError) {
  World world;
  aws::AuthConfig config;
  config.credentials_file = "/nope";
  EXPECT_NE(world.failure(config).find("cannot read shared credentials file /nope"),
            std::string::npos);
}

TEST(AwsCredentials, IncompleteProfileIsAnError) {
  World world;
  world.files[kHomeFile] = "[default]\naws_secret_access_key = only-the-secret\n";
  std::string detail = world.failure();
  EXPECT_NE(detail.find("[default]: aws_access_key_id is missing"), std::string::npos);
  EXPECT_EQ(detail.find("only-the-secret"), std::string::npos);
}

TEST(AwsCredentials, RoleProfilesAreExplainedNotGuessed) {
  World world;
  world.files[kHomeFile] = "[default]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\n";
  EXPECT_NE(world.failure().find("uses role_arn, which tollbooth does not resolve"),
            std::string::npos);
}

TEST(AwsCredentials, NothingFoundNamesEverySourceTried) {
  World world;
  EXPECT_EQ(world.failure(),
            "no AWS credentials found; tried provider config (no keys), AWS_BEARER_TOKEN_BEDROCK "
            "(not set), AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (not set), shared credentials "
            "file /home/u/.aws/credentials (not found)");
  world.files[kHomeFile] = "[prod]\naws_access_key_id=A\naws_secret_access_key=B\n";
  EXPECT_NE(world.failure().find("[default] (no such profile)"), std::string::npos);
  world.env.erase("HOME");
  EXPECT_NE(world.failure().find("shared credentials file (HOME not set)"), std::string::npos);
}

// ---- the INI reader -----------------------------------------------------------------------------

TEST(AwsCredentials, ProfileReaderHandlesTheIniDialect) {
  const char* text =
      "; comment\r\n"
      "[default]\r\n"
      "aws_access_key_id = AKIDDEFAULT\r\n"
      "[ team ]\r\n"
      "  AWS_Access_Key_Id=AKIDTEAM  \r\n"
      "# aws_secret_access_key = commented-out\r\n"
      "aws_secret_access_key: team/secret+with=signs\r\n"
      "region = us-west-2\r\n"
      "[other]\r\n"
      "aws_session_token = not-this-one\r\n"
      "[team]\r\n"
      "aws_session_token = team-token\r\n";
  auto creds = aws::credentials_from_profile(text, "team");
  ASSERT_TRUE(creds.ok()) << creds.error().detail;
  EXPECT_EQ(creds->access_key_id, "AKIDTEAM");
  EXPECT_EQ(creds->secret_access_key, "team/secret+with=signs");
  EXPECT_EQ(creds->session_token, "team-token");
  EXPECT_FALSE(aws::credentials_from_profile(text, "default").ok());  // no secret
  EXPECT_FALSE(aws::credentials_from_profile(text, "missing").ok());
  EXPECT_FALSE(aws::credentials_from_profile("", "default").ok());
}

TEST(AwsCredentials, BearerAuthorizationHeader) {
  EXPECT_EQ(aws::bearer_authorization("ABSKexample"), "Bearer ABSKexample");
}

TEST(AwsCredentials, SystemLookupsReadTheRealEnvironmentAndFiles) {
  auto path =
      std::filesystem::temp_directory_path() /
      ("tollbooth-aws-creds-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  {
    std::ofstream out(path);
    out << "[default]\naws_access_key_id=AKIDFILE\naws_secret_access_key=file-secret\n";
  }
  aws::Lookups lookups = aws::system_lookups();
  EXPECT_NE(lookups.getenv("PATH"), nullptr);
  EXPECT_EQ(lookups.read_file(path.string()).value_or(""),
            "[default]\naws_access_key_id=AKIDFILE\naws_secret_access_key=file-secret\n");
  EXPECT_FALSE(lookups.read_file(path.string() + ".missing").has_value());
  std::filesystem::remove(path);
}
