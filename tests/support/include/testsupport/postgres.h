// PostgreSQL for the tests: the private server `./dev test` starts (its admin URI in
// PHOTOSYNC_TEST_POSTGRES_URI), a fresh database per test, and which backend a test binary runs
// on. A suite registered with project_discover_tests(... BOTH_STORES) runs twice: as usual on
// SQLite, and as `pg.<name>` with PHOTOSYNC_TEST_STORE=postgresql, where its fixtures put the store
// on a fresh database (TestStore). Without a server the PostgreSQL tests skip with a reason; with
// PHOTOSYNC_REQUIRE_POSTGRES=1 (set by `./dev test` once it started one) they fail instead.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace testsupport {

/// $PHOTOSYNC_TEST_POSTGRES_URI: the admin URI of the test server (postgresql://postgres@127.0.0.1:PORT/postgres).
std::optional<std::string> postgresServerUri();
/// True when PHOTOSYNC_REQUIRE_POSTGRES=1: a missing server is a failure.
bool postgresRequired();
/// True when PHOTOSYNC_TEST_STORE=postgresql: the test binary runs its stores on PostgreSQL.
bool testsOnPostgres();
/// The one-line reason a PostgreSQL test gives when it skips.
std::string postgresMissingReason();

/// A fresh database on the test server, dropped (WITH FORCE) at destruction. Throws
/// std::runtime_error when there is no server or it refuses.
class PgDatabase {
 public:
  PgDatabase();
  ~PgDatabase();
  PgDatabase(const PgDatabase&) = delete;
  PgDatabase& operator=(const PgDatabase&) = delete;

  /// postgresql://postgres@127.0.0.1:PORT/<name>
  const std::string& uri() const { return uri_; }
  const std::string& name() const { return name_; }

  /// Raw SQL on this database, behind the store's back (throws on an error). `scalar` returns
  /// the first column of the first row as text ("" for none or NULL); `bytes` the same for a
  /// BYTEA column as the raw bytes.
  void exec(const std::string& sql);
  std::string scalar(const std::string& sql);
  std::string bytes(const std::string& sql);
  /// Runs `sql` with one parameter $1 bound as BYTEA.
  void execBytes(const std::string& sql, const std::string& value);

 private:
  struct Conn;
  Conn& conn();
  std::string name_, uri_;
  std::unique_ptr<Conn> conn_;
};

/// Writes `<dataDir>/store.uri`, so that a sample-host on `dataDir` opens `uri`.
void writeStoreUri(const std::filesystem::path& dataDir, const std::string& uri);

/// The store of a test's data directory: nothing on SQLite; when testsOnPostgres(), a fresh
/// PgDatabase named in `<dataDir>/store.uri` (so every Store::open and every `sample-host
/// --data-dir` on it uses PostgreSQL). Keep it as long as the data directory.
class TestStore {
 public:
  explicit TestStore(const std::filesystem::path& dataDir);
  /// "" on SQLite.
  std::string uri() const { return db_ ? db_->uri() : std::string(); }
  /// {} on SQLite, {"--store", uri} on PostgreSQL.
  std::vector<std::string> hostArgs() const;
  bool onPostgres() const { return db_ != nullptr; }
  PgDatabase* database() const { return db_.get(); }

 private:
  std::unique_ptr<PgDatabase> db_;
};

/// For a BOTH_STORES binary whose tests make their stores in TestStore/TempDir constructors (where
/// no test can skip itself): registered once per binary, it skips (or, with
/// PHOTOSYNC_REQUIRE_POSTGRES=1, fails) every test of a PostgreSQL run that finds no server.
/// gtest prints no "[  SKIPPED ]" line for a skip in an environment, so this prints it itself,
/// for ctest to count the tests as Skipped rather than Passed.
class StoreBackendEnvironment : public ::testing::Environment {
 public:
  void SetUp() override;
};

}  // namespace testsupport

/// Ends the test unless the PostgreSQL test server is there: skipped with a reason, or failed
/// when PHOTOSYNC_REQUIRE_POSTGRES=1. Use in a TEST body or SetUp().
#define TESTSUPPORT_REQUIRE_POSTGRES()                                       \
  do {                                                                       \
    if (!::testsupport::postgresServerUri()) {                               \
      if (::testsupport::postgresRequired()) {                               \
        FAIL() << ::testsupport::postgresMissingReason()                     \
               << " (PHOTOSYNC_REQUIRE_POSTGRES=1: the server must be there)"; \
      }                                                                      \
      GTEST_SKIP() << ::testsupport::postgresMissingReason();                \
    }                                                                        \
  } while (false)

/// TESTSUPPORT_REQUIRE_POSTGRES() when the binary runs on PostgreSQL (PHOTOSYNC_TEST_STORE);
/// nothing on SQLite. For the SetUp() of a suite that runs on both backends.
#define TESTSUPPORT_REQUIRE_STORE_BACKEND()                    \
  do {                                                         \
    if (::testsupport::testsOnPostgres()) TESTSUPPORT_REQUIRE_POSTGRES(); \
  } while (false)
