// See testsupport/postgres.h.
#include "testsupport/postgres.h"

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>

namespace testsupport {
namespace {

std::string envOf(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string trimmed(const char* s) {
  std::string out = s ? s : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

PGconn* connectTo(const std::string& uri) {
  PGconn* c = PQconnectdb(uri.c_str());
  if (!c || PQstatus(c) != CONNECTION_OK) {
    std::string msg = c ? trimmed(PQerrorMessage(c)) : "out of memory";
    PQfinish(c);
    throw std::runtime_error("cannot connect to the PostgreSQL test server: " + msg);
  }
  PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
  return c;
}

void runSql(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  const auto st = PQresultStatus(r);
  std::string msg = trimmed(PQresultErrorMessage(r));
  PQclear(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) throw std::runtime_error(msg + " in " + sql);
}

/// The admin URI with its database replaced by `db`.
std::string withDatabase(const std::string& admin, const std::string& db) {
  const std::size_t hostStart = admin.find("://");
  const std::size_t slash = admin.find('/', hostStart == std::string::npos ? 0 : hostStart + 3);
  const std::size_t query = admin.find('?');
  std::string base = admin.substr(0, slash == std::string::npos ? (query == std::string::npos ? admin.size() : query) : slash);
  return base + "/" + db + (query == std::string::npos ? std::string() : admin.substr(query));
}

}  // namespace

std::optional<std::string> postgresServerUri() {
  auto v = envOf("PHOTOSYNC_TEST_POSTGRES_URI");
  if (v.empty()) return std::nullopt;
  return v;
}

bool postgresRequired() { return envOf("PHOTOSYNC_REQUIRE_POSTGRES") == "1"; }

bool testsOnPostgres() { return envOf("PHOTOSYNC_TEST_STORE") == "postgresql"; }

std::string postgresMissingReason() {
  return "no PostgreSQL test server (PHOTOSYNC_TEST_POSTGRES_URI is unset; `./dev test` starts one)";
}

struct PgDatabase::Conn {
  PGconn* c = nullptr;
  ~Conn() { PQfinish(c); }
};

PgDatabase::PgDatabase() {
  auto admin = postgresServerUri();
  if (!admin) throw std::runtime_error(postgresMissingReason());
  static std::atomic<unsigned> counter{0};
  std::random_device rd;
  name_ = "ps_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" + std::to_string(rd() % 100000);
  PGconn* c = connectTo(*admin);
  try {
    runSql(c, "CREATE DATABASE " + name_);
  } catch (...) {
    PQfinish(c);
    throw;
  }
  PQfinish(c);
  uri_ = withDatabase(*admin, name_);
}

PgDatabase::~PgDatabase() {
  conn_.reset();
  try {
    if (auto admin = postgresServerUri()) {
      PGconn* c = connectTo(*admin);
      PQclear(PQexec(c, ("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)").c_str()));
      PQfinish(c);
    }
  } catch (...) {
    // The server is gone: nothing left to drop.
  }
}

PgDatabase::Conn& PgDatabase::conn() {
  if (!conn_) {
    conn_ = std::make_unique<Conn>();
    conn_->c = connectTo(uri_);
  }
  return *conn_;
}

void PgDatabase::exec(const std::string& sql) { runSql(conn().c, sql); }

namespace {
std::string firstValue(PGconn* c, const std::string& sql, int format) {
  PGresult* r = PQexecParams(c, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, format);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) {
    std::string msg = trimmed(PQresultErrorMessage(r));
    PQclear(r);
    throw std::runtime_error(msg + " in " + sql);
  }
  std::string out;
  if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
    out.assign(PQgetvalue(r, 0, 0), static_cast<std::size_t>(PQgetlength(r, 0, 0)));
  PQclear(r);
  return out;
}
}  // namespace

std::string PgDatabase::scalar(const std::string& sql) { return firstValue(conn().c, sql, 0); }
std::string PgDatabase::bytes(const std::string& sql) { return firstValue(conn().c, sql, 1); }

void PgDatabase::execBytes(const std::string& sql, const std::string& value) {
  const Oid type = 17;  // bytea
  const char* values[] = {value.data()};
  const int lengths[] = {static_cast<int>(value.size())};
  const int formats[] = {1};
  PGresult* r = PQexecParams(conn().c, sql.c_str(), 1, &type, values, lengths, formats, 0);
  const auto st = PQresultStatus(r);
  std::string msg = trimmed(PQresultErrorMessage(r));
  PQclear(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) throw std::runtime_error(msg + " in " + sql);
}

void writeStoreUri(const std::filesystem::path& dataDir, const std::string& uri) {
  std::filesystem::create_directories(dataDir);
  std::ofstream f(dataDir / "store.uri", std::ios::trunc);
  f << uri << "\n";
  if (!f) throw std::runtime_error("cannot write " + (dataDir / "store.uri").string());
}

TestStore::TestStore(const std::filesystem::path& dataDir) {
  if (!testsOnPostgres()) return;
  db_ = std::make_unique<PgDatabase>();
  writeStoreUri(dataDir, db_->uri());
}

std::vector<std::string> TestStore::hostArgs() const {
  if (!db_) return {};
  return {"--store", db_->uri()};
}

void StoreBackendEnvironment::SetUp() {
  if (!testsOnPostgres() || postgresServerUri()) return;
  if (postgresRequired()) {
    FAIL() << postgresMissingReason() << " (PHOTOSYNC_REQUIRE_POSTGRES=1: the server must be there)";
  }
  std::printf("[  SKIPPED ] %s\n", postgresMissingReason().c_str());
  std::fflush(stdout);
  GTEST_SKIP() << postgresMissingReason();
}

}  // namespace testsupport
