#include "common/env.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace sluice {
namespace {

class EnvironmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("SLUICE_TEST_SET", "from-env", 1);
    setenv("SLUICE_TEST_EMPTY", "", 1);
    unsetenv("SLUICE_TEST_UNSET");
  }
};

TEST_F(EnvironmentTest, PlainAndDefaults) {
  Environment env;
  EXPECT_EQ(env.Expand("a ${SLUICE_TEST_SET} b").ValueOrDie(), "a from-env b");
  EXPECT_EQ(env.Expand("${SLUICE_TEST_UNSET:-fallback}").ValueOrDie(), "fallback");
  EXPECT_EQ(env.Expand("${SLUICE_TEST_EMPTY:-fallback}").ValueOrDie(), "fallback");
  EXPECT_EQ(env.Expand("${SLUICE_TEST_SET:-fallback}").ValueOrDie(), "from-env");
  EXPECT_EQ(env.Expand("cost $5 and $${LITERAL}").ValueOrDie(), "cost $5 and ${LITERAL}");
}

TEST_F(EnvironmentTest, NestedAndAlternatives) {
  Environment env;
  EXPECT_EQ(env.Expand("${SLUICE_TEST_UNSET:-${SLUICE_TEST_SET}}").ValueOrDie(), "from-env");
  EXPECT_EQ(env.Expand("${SLUICE_TEST_SET:+s3://${SLUICE_TEST_SET}}").ValueOrDie(), "s3://from-env");
  EXPECT_EQ(env.Expand("${SLUICE_TEST_UNSET:+s3://x}").ValueOrDie(), "");
}

TEST_F(EnvironmentTest, ErrorsNameTheVariableAndTheFix) {
  Environment env;
  auto missing = env.Expand("${SLUICE_TEST_UNSET}");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("SLUICE_TEST_UNSET is not set"), std::string::npos);
  EXPECT_NE(missing.status().message().find("${SLUICE_TEST_UNSET:-value}"), std::string::npos);
  auto required = env.Expand("${SLUICE_TEST_UNSET:?point it at your broker}");
  ASSERT_FALSE(required.ok());
  EXPECT_NE(required.status().message().find("point it at your broker"), std::string::npos);
  EXPECT_FALSE(env.Expand("${SLUICE_TEST_SET").ok());
  EXPECT_FALSE(env.Expand("${1X}").ok());
  EXPECT_FALSE(env.Expand("${X:=y}").ok());
}

TEST_F(EnvironmentTest, PriorityVarsThenProcessThenDotEnv) {
  auto dir = std::filesystem::temp_directory_path() / "sluice_env_test";
  std::filesystem::create_directories(dir);
  auto path = (dir / ".env").string();
  {
    std::ofstream out(path);
    out << "# comment\n\nSLUICE_TEST_SET=from-dotenv\nexport ONLY_IN_DOTENV='quoted # not a comment'\n"
        << "DOUBLE=\"a\\nb\"\nINLINE=value # comment\n";
  }
  Environment env;
  ASSERT_TRUE(env.LoadDotEnv(path).ok());
  EXPECT_EQ(env.Lookup("SLUICE_TEST_SET"), "from-env");
  EXPECT_EQ(env.Lookup("ONLY_IN_DOTENV"), "quoted # not a comment");
  EXPECT_EQ(env.Lookup("DOUBLE"), "a\nb");
  EXPECT_EQ(env.Lookup("INLINE"), "value");
  env.SetVar("SLUICE_TEST_SET", "from-vars");
  EXPECT_EQ(env.Lookup("SLUICE_TEST_SET"), "from-vars");
}

TEST_F(EnvironmentTest, MalformedDotEnvNamesTheLine) {
  auto path = (std::filesystem::temp_directory_path() / "sluice_bad.env").string();
  {
    std::ofstream out(path);
    out << "OK=1\nthis line is wrong\n";
  }
  Environment env;
  auto st = env.LoadDotEnv(path);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(path + ":2: expected KEY=VALUE"), std::string::npos);
}

TEST_F(EnvironmentTest, ReferencedNames) {
  EXPECT_EQ(Environment::ReferencedNames("${A}/${B:-${C}} $${D}"), (std::vector<std::string>{"A", "B", "C"}));
}

}  // namespace
}  // namespace sluice
