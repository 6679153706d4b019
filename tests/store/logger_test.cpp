// Logger: JSON lines in the log file, a readable terminal line from a level up, and secrets
// scrubbed (registered values anywhere, secret-named fields always).
#include "samplehost/store/logger.h"

#include <gtest/gtest.h>
// cpprest's U() macro clashes with gtest's templates; on Linux its strings are std::string.
#define _TURN_OFF_PLATFORM_STRING
#include <cpprest/json.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

#include "test_util.h"

namespace samplehost::store {
namespace {

using hostapi::LogLevel;
using testing::TempDir;

struct LogFixture {
  TempDir dir;
  std::shared_ptr<SecretRegistry> secrets = std::make_shared<SecretRegistry>();
  std::FILE* terminal = std::tmpfile();
  std::shared_ptr<LogSink> sink;

  explicit LogFixture(std::optional<LogLevel> terminalLevel = LogLevel::kInfo) {
    auto s = LogSink::open({dir.path() / "logs" / "host.log", terminalLevel, terminal, secrets, nullptr});
    if (!s) throw std::runtime_error(s.status().toString());
    sink = *s;
  }
  ~LogFixture() { std::fclose(terminal); }
  std::string file() const { return testing::readFile(dir.path() / "logs" / "host.log"); }
  std::string term() const {
    std::fflush(terminal);
    std::rewind(terminal);
    std::string out;
    char buf[4096];
    while (auto n = std::fread(buf, 1, sizeof buf, terminal)) out.append(buf, n);
    return out;
  }
  std::vector<web::json::value> lines() const {
    std::vector<web::json::value> out;
    std::istringstream in(file());
    for (std::string line; std::getline(in, line);) out.push_back(web::json::value::parse(line));
    return out;
  }
};

TEST(Logger, WritesOneJsonObjectPerLine) {
  LogFixture f;
  SourceLogger log(f.sink, "photosync");
  log.info("avatar updated", {{"user", "ada@contoso.com"}, {"bytes", "1234"}});
  log.warn("photo skipped", {{"reason", "invalid image"}});
  auto lines = f.lines();
  ASSERT_EQ(lines.size(), 2u);
  const auto& first = lines[0];
  EXPECT_EQ(first.at("level").as_string(), "info");
  EXPECT_EQ(first.at("source").as_string(), "photosync");
  EXPECT_EQ(first.at("event").as_string(), "avatar updated");
  EXPECT_EQ(first.at("fields").at("user").as_string(), "ada@contoso.com");
  EXPECT_EQ(first.at("time").as_string().size(), 24u) << first.at("time").as_string();
  EXPECT_EQ(lines[1].at("level").as_string(), "warning");
}

TEST(Logger, HostileTextStaysValidJson) {
  LogFixture f;
  SourceLogger log(f.sink, "scim");
  const std::string nasty = std::string("quote\" back\\slash\nnew\ttab \x01\x1b[31m bad\xff\xfe utf8 \xc3\xa9");
  log.error(nasty, {{nasty, nasty}});
  auto lines = f.lines();
  ASSERT_EQ(lines.size(), 1u);
  auto ev = lines[0].at("event").as_string();
  EXPECT_NE(ev.find("quote\" back\\slash\nnew"), std::string::npos);
  EXPECT_NE(ev.find("\xc3\xa9"), std::string::npos) << "valid UTF-8 kept";
  EXPECT_EQ(f.term().find('\x1b'), std::string::npos) << "no escape sequences reach the terminal";
}

TEST(Logger, ScrubsRegisteredSecretsEverywhere) {
  LogFixture f;
  f.secrets->add("sup3r-s3cret-value");
  f.secrets->add("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n");
  f.secrets->add("abc");  // too short to scrub without wrecking the log
  SourceLogger log(f.sink, "photosync");
  log.error("token request failed with sup3r-s3cret-value inside",
            {{"detail", "body: client_secret=sup3r-s3cret-value&x=1"},
             {"pem", "partial MIIEvQIBADANBgkqhkiG9w0BAQEFAASC line"},
             {"note", "abc stays"}});
  const auto file = f.file();
  const auto term = f.term();
  for (const auto* out : {&file, &term}) {
    EXPECT_EQ(out->find("sup3r-s3cret-value"), std::string::npos) << *out;
    EXPECT_EQ(out->find("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"), std::string::npos) << *out;
    EXPECT_NE(out->find("********"), std::string::npos);
  }
  auto line = f.lines().at(0);
  EXPECT_EQ(line.at("event").as_string(), "token request failed with ******** inside");
  EXPECT_EQ(line.at("fields").at("detail").as_string(), "body: client_secret=********&x=1");
  EXPECT_EQ(line.at("fields").at("note").as_string(), "abc stays");
}

TEST(Logger, AlwaysRedactsSecretNamedFields) {
  LogFixture f;
  SourceLogger log(f.sink, "photosync");
  const char* keys[] = {"clientSecret", "password", "access_token", "refreshToken", "assertion",
                        "privateKeyPem", "private_key", "Authorization", "apiKey"};
  std::vector<hostapi::LogField> fields;
  for (const char* k : keys) fields.push_back({k, std::string("never-registered-") + k});
  fields.push_back({"user", "ada"});
  log.info("debugging", fields);
  auto line = f.lines().at(0);
  for (const char* k : keys) {
    SCOPED_TRACE(k);
    EXPECT_EQ(line.at("fields").at(k).as_string(), kRedacted);
  }
  EXPECT_EQ(line.at("fields").at("user").as_string(), "ada");
  EXPECT_EQ(f.file().find("never-registered-"), std::string::npos);
  EXPECT_EQ(f.term().find("never-registered-"), std::string::npos);
}

TEST(Logger, SecretFieldKeyClassification) {
  const std::pair<const char*, bool> cases[] = {
      {"clientSecret", true}, {"PASSWORD", true},   {"id_token", true},       {"assertion", true},
      {"private_key", true},  {"privateKeyPem", true}, {"user", false},        {"etag", false},
      {"reason", false},      {"bytes", false},     {"thumbnailPhotoUrl", false}};
  for (const auto& [key, secret] : cases) {
    SCOPED_TRACE(key);
    EXPECT_EQ(isSecretFieldKey(key), secret);
  }
}

TEST(Logger, TerminalLevelFiltersOnlyTheTerminal) {
  LogFixture f(LogLevel::kWarning);
  SourceLogger log(f.sink, "host");
  log.debug("debug event");
  log.info("info event", {{"user", "ada lovelace"}});
  log.error("error event", {{"user", "ada lovelace"}});
  auto term = f.term();
  EXPECT_EQ(term.find("info event"), std::string::npos);
  EXPECT_NE(term.find("error [host] error event user=\"ada lovelace\""), std::string::npos) << term;
  EXPECT_EQ(f.lines().size(), 3u) << "the file gets every level";
  f.sink->setTerminalLevel(std::nullopt);
  log.error("silent on terminal");
  EXPECT_EQ(f.term().find("silent on terminal"), std::string::npos);
  EXPECT_EQ(f.sink->writeErrors(), 0u);
}

TEST(Logger, LinesFromManyThreadsNeverInterleave) {
  LogFixture f(std::nullopt);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      SourceLogger log(f.sink, "t" + std::to_string(t));
      for (int i = 0; i < 50; ++i) log.info("event", {{"i", std::to_string(i)}, {"pad", std::string(300, 'x')}});
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(f.lines().size(), 400u);  // parse fails on an interleaved line
}

TEST(Logger, LongLinesFromTwoProcessesNeverInterleave) {
  // The CLI and a running sync append to the same file. A line longer than a stdio buffer
  // (spdlog's own file sink writes through one) would go out in pieces that the other process
  // can split; each line must reach the file in one write.
  LogFixture f(std::nullopt);
  const std::string pad(20000, 'x');
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  SourceLogger log(f.sink, child == 0 ? "child" : "parent");
  for (int i = 0; i < 200; ++i) log.info("event", {{"i", std::to_string(i)}, {"pad", pad}});
  if (child == 0) std::_Exit(f.sink->writeErrors() == 0 ? 0 : 1);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  const auto lines = f.lines();  // parse fails on an interleaved line
  ASSERT_EQ(lines.size(), 400u);
  for (const auto& line : lines) EXPECT_EQ(line.at("fields").at("pad").as_string().size(), pad.size());
}

TEST(Logger, TheFileIsReadableByTheHostUserOnly) {
  LogFixture f;
  SourceLogger(f.sink, "host").info("started");
  const auto perms = std::filesystem::status(f.dir.path() / "logs" / "host.log").permissions();
  EXPECT_EQ(perms & std::filesystem::perms::all, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST(Logger, AFailedWriteIsCountedNeverThrown) {
  auto sink = LogSink::open({"/dev/full", std::nullopt, nullptr, std::make_shared<SecretRegistry>(), nullptr});
  ASSERT_TRUE(sink) << sink.status().toString();
  SourceLogger log(*sink, "host");
  log.error("disk full");
  log.info("still full");
  EXPECT_EQ((*sink)->writeErrors(), 2u);
}

TEST(Logger, ParsesLevelNames) {
  EXPECT_EQ(parseLogLevel("warn"), LogLevel::kWarning);
  EXPECT_EQ(parseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_FALSE(parseLogLevel("loud").has_value());
  EXPECT_STREQ(logLevelName(LogLevel::kError), "error");
}

}  // namespace
}  // namespace samplehost::store
