// The PostgreSQL backend of the store's seam (db.h) over libpq. The store's queries are written
// with SQLite's `?` / `?N` placeholders; they are rewritten to `$N` and prepared on the server
// once per connection and text.
// Parameters go as text of unknown type (the server infers it from the column), integers as
// binary int8 and bytes as binary bytea; results come back in binary, so BYTEA columns arrive as
// the bytes themselves.
//
// Transactions: a writer runs READ COMMITTED and first takes pg_advisory_xact_lock(the store's
// key), so writers are serialised as SQLite's BEGIN IMMEDIATE serialises them, and every
// statement after the lock sees every earlier writer's commit: no serialization failures, no
// retries. (REPEATABLE READ would take its snapshot when the lock statement starts, before the
// wait, and then fail on rows changed meanwhile.) Readers run REPEATABLE READ READ ONLY: one
// consistent snapshot per call, never blocked by a writer.
#include "pg_db.h"

#include <libpq-fe.h>

#include <arpa/inet.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

namespace samplehost::store::detail {
namespace {

constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;

/// A store text rewritten for the server: `$N` placeholders, how many, and which of them the text
/// uses (a `?9` with no `?2` leaves $2 unused: the server cannot infer its type, so it is sent
/// as text).
struct PgText {
  std::string sql;
  int params = 0;
  std::vector<bool> used;
  /// The server-side prepared statements of this text, by the parameter types they were
  /// prepared with (one text is nearly always bound with the same types).
  std::unordered_map<std::string, std::string> prepared;
};

/// `?` / `?N` to `$N`, outside string literals, quoted identifiers and comments. A bare `?` takes
/// the next number after the largest so far (as SQLite numbers it).
PgText toDollarParams(const std::string& sql) {
  std::vector<int> seen;
  std::string out;
  out.reserve(sql.size() + 8);
  int maxParam = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char ch = sql[i];
    if (ch == '\'' || ch == '"') {
      const std::size_t end = sql.find(ch, i + 1);
      const std::size_t stop = end == std::string::npos ? sql.size() : end + 1;
      out.append(sql, i, stop - i);  // a doubled quote is two literals back to back: same result
      i = stop - 1;
      continue;
    }
    if (ch == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const std::size_t end = sql.find('\n', i);
      const std::size_t stop = end == std::string::npos ? sql.size() : end;
      out.append(sql, i, stop - i);
      i = stop - 1;
      continue;
    }
    if (ch != '?') {
      out.push_back(ch);
      continue;
    }
    std::size_t j = i + 1;
    int n = 0;
    while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') n = n * 10 + (sql[j++] - '0');
    if (j == i + 1) n = maxParam + 1;
    maxParam = std::max(maxParam, n);
    seen.push_back(n);
    out += "$" + std::to_string(n);
    i = j - 1;
  }
  PgText t{out, maxParam, std::vector<bool>(static_cast<std::size_t>(maxParam), false), {}};
  for (int n : seen)
    if (n >= 1) t.used[static_cast<std::size_t>(n - 1)] = true;
  return t;
}

std::string trimmed(const char* s) {
  std::string out = s ? s : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

struct PgResult {
  PGresult* r = nullptr;
  PgResult() = default;
  explicit PgResult(PGresult* p) : r(p) {}
  PgResult(PgResult&& o) noexcept : r(o.r) { o.r = nullptr; }
  PgResult& operator=(PgResult&& o) noexcept {
    if (this != &o) {
      PQclear(r);
      r = o.r;
      o.r = nullptr;
    }
    return *this;
  }
  ~PgResult() { PQclear(r); }
};

class PgConnection;

class PgStmt final : public StmtImpl {
 public:
  PgStmt(PgConnection& c, PgText& text) : c_(c), text_(text), params_(static_cast<std::size_t>(text.params)) {}

  void bindText(int i, std::string_view text) override { set(i, std::string(text), 0, 0); }
  void bindBlob(int i, std::string_view bytes) override { set(i, std::string(bytes), kByteaOid, 1); }
  void bindInt(int i, std::int64_t v) override {
    std::uint64_t u = static_cast<std::uint64_t>(v);
    std::string be(8, '\0');
    for (int k = 7; k >= 0; --k) {
      be[static_cast<std::size_t>(k)] = static_cast<char>(u & 0xff);
      u >>= 8;
    }
    set(i, std::move(be), kInt8Oid, 1);
  }
  void bindNull(int i) override {
    Param& p = at(i);
    p = Param{};
  }

  bool step() override {
    if (!res_.r) execute();
    ++row_;
    return row_ < PQntuples(res_.r);
  }
  int run() override {
    if (!res_.r) execute();
    return std::atoi(PQcmdTuples(res_.r));
  }

  std::string text(int col) const override {
    const Oid t = PQftype(res_.r, col);
    if (t == kInt8Oid || t == kInt4Oid || t == kInt2Oid || t == kBoolOid)
      return isNull(col) ? std::string() : std::to_string(integer(col));
    return blob(col);
  }
  std::string blob(int col) const override {
    if (PQgetisnull(res_.r, row_, col)) return {};
    return std::string(PQgetvalue(res_.r, row_, col), static_cast<std::size_t>(PQgetlength(res_.r, row_, col)));
  }
  std::int64_t integer(int col) const override;
  bool isNull(int col) const override { return PQgetisnull(res_.r, row_, col) != 0; }

 private:
  struct Param {
    bool null = true;
    std::string value;
    Oid type = 0;
    int format = 0;
  };
  Param& at(int i);
  void set(int i, std::string v, Oid type, int format) {
    Param& p = at(i);
    p.null = false;
    p.value = std::move(v);
    p.type = type;
    p.format = format;
  }
  void execute();

  PgConnection& c_;
  PgText& text_;
  std::vector<Param> params_;
  PgResult res_;
  int row_ = -1;
};

class PgConnection final : public Connection {
 public:
  PgConnection(const PgTarget& target, int busyTimeoutMs) : name_(target.name) {
    // Defaults first: the URI's own parameters (dbname, expanded) override them.
    const char* keys[] = {"connect_timeout", "application_name", "client_encoding", "dbname", nullptr};
    const char* values[] = {"10", "sample-host", "UTF8", target.uri.c_str(), nullptr};
    conn_ = PQconnectdbParams(keys, values, 1);
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
      std::string msg = conn_ ? trimmed(PQerrorMessage(conn_)) : "out of memory";
      PQfinish(conn_);
      conn_ = nullptr;
      throw SqlError(SqlError::Kind::kUnreachable, "cannot connect to the PostgreSQL server " + name_ + ": " + msg);
    }
    // The server's NOTICEs (CREATE ... IF NOT EXISTS) would go to stderr: they say nothing an
    // admin needs.
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
    try {
      exec("SET lock_timeout = " + std::to_string(busyTimeoutMs) + "; SET client_min_messages = warning");
    } catch (...) {
      PQfinish(conn_);
      conn_ = nullptr;
      throw;
    }
  }
  ~PgConnection() override { PQfinish(conn_); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  Dialect dialect() const noexcept override { return Dialect::kPostgres; }

  Stmt prepare(const std::string& sql) override {
    auto it = cache_.find(sql);
    if (it == cache_.end()) it = cache_.emplace(sql, toDollarParams(sql)).first;
    return Stmt(std::make_unique<PgStmt>(*this, it->second));
  }

  void exec(const std::string& sql) override {
    PgResult r(PQexec(conn_, sql.c_str()));
    check(r.r, "query");
  }

  void begin(bool write) override {
    try {
      beginOnce(write);
    } catch (...) {
      rollback();  // a lock timeout leaves the transaction open and failed
      throw;
    }
  }
  void beginOnce(bool write) {
    exec(write ? "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(" +
                     std::to_string(kWriterLockKey) + ")"
               : std::string("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  }
  void commit() override {
    PgResult r(PQexec(conn_, "COMMIT"));
    check(r.r, "commit");
    // COMMIT of a transaction that failed earlier answers ROLLBACK, without an error.
    if (std::strcmp(PQcmdStatus(r.r), "ROLLBACK") == 0)
      throw SqlError(SqlError::Kind::kOther, "PostgreSQL server " + name_ + ": the transaction was rolled back");
  }
  void rollback() noexcept override {
    if (PQstatus(conn_) != CONNECTION_OK) return;
    PQclear(PQexec(conn_, "ROLLBACK"));
  }
  bool usable() const noexcept override {
    return PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
  }

  // The schema version is the one row of schema_version (made with the first migration).
  int schemaVersion() override {
    if (!tableExists("schema_version")) return 0;
    auto st = prepare("SELECT version FROM schema_version WHERE id = 1");
    return st.step() ? static_cast<int>(st.integer(0)) : 0;
  }
  void setSchemaVersion(int version) override {
    exec("CREATE TABLE IF NOT EXISTS schema_version (id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL)");
    prepare("INSERT INTO schema_version(id, version) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET version = excluded.version")
        .bind(1, std::int64_t{version})
        .run();
  }

  bool tableExists(const std::string& table) override {
    auto st = prepare("SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = ?");
    st.bind(1, table);
    return st.step();
  }

  // The server checks its own pages and enforces foreign keys always; a constraint made NOT VALID
  // by hand is the one thing left to report.
  std::vector<std::string> integrityProblems() override {
    std::vector<std::string> problems;
    auto st = prepare(
        "SELECT conrelid::regclass::text, conname FROM pg_catalog.pg_constraint c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace "
        "WHERE n.nspname = current_schema() AND NOT c.convalidated ORDER BY 1, 2");
    while (st.step()) problems.push_back("constraint " + st.text(1) + " of table " + st.text(0) + " is not validated");
    return problems;
  }
  void checkpoint() override {}

  PGconn* raw() noexcept { return conn_; }
  std::string nextStatementName() { return "s" + std::to_string(++statements_); }

  /// Throws for a result that is not a success.
  void check(PGresult* r, const char* what) {
    const auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) return;
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    // Connection exceptions (class 08, but 08P01 is a protocol violation: our bug, not the
    // network's) and the server shutting down or refusing (57P01-57P03) mean the server is gone.
    const bool gone = PQstatus(conn_) != CONNECTION_OK ||
                      (state && ((std::strncmp(state, "08", 2) == 0 && std::strcmp(state, "08P01") != 0) ||
                                 std::strncmp(state, "57P0", 4) == 0));
    if (!state && !gone)
      throw SqlError(SqlError::Kind::kOther, std::string(what) + " on the PostgreSQL server " + name_ + ": " +
                                                 trimmed(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_)));
    if (gone) {
      const std::string detail = trimmed(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_));
      throw SqlError(SqlError::Kind::kUnreachable,
                     "lost the connection to the PostgreSQL server " + name_ + " (" + what + "): " +
                         (detail.empty() ? trimmed(PQerrorMessage(conn_)) : detail) +
                         "; the next call connects again");
    }
    // The primary message only: the DETAIL line may quote the values of the row.
    const std::string primary = trimmed(PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));
    const std::string sqlstate(state);
    SqlError::Kind kind = SqlError::Kind::kOther;
    if (sqlstate == "55P03" || sqlstate == "40001" || sqlstate == "40P01") kind = SqlError::Kind::kBusy;
    else if (sqlstate.compare(0, 2, "53") == 0) kind = SqlError::Kind::kFull;
    else if (sqlstate == "XX001" || sqlstate == "XX002") kind = SqlError::Kind::kCorrupt;
    throw SqlError(kind, std::string(what) + " on the PostgreSQL server " + name_ + ": " + primary + " (SQLSTATE " +
                             sqlstate + ")");
  }

 private:
  PGconn* conn_ = nullptr;
  std::string name_;
  std::unordered_map<std::string, PgText> cache_;
  unsigned long statements_ = 0;
};

PgStmt::Param& PgStmt::at(int i) {
  if (i < 1 || static_cast<std::size_t>(i) > params_.size())
    throw SqlError(SqlError::Kind::kOther, "bind: parameter " + std::to_string(i) + " is out of range");
  return params_[static_cast<std::size_t>(i - 1)];
}

void PgStmt::execute() {
  std::vector<Oid> types;
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  constexpr Oid kTextOid = 25;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Param& p = params_[i];
    types.push_back(text_.used[i] ? p.type : kTextOid);
    values.push_back(p.null ? nullptr : p.value.data());
    lengths.push_back(static_cast<int>(p.value.size()));
    formats.push_back(p.format);
  }
  // Prepared once per connection, text and types: the server parses and plans each text once
  // instead of at every call (an import runs the same few texts thousands of times).
  const std::string signature(reinterpret_cast<const char*>(types.data()), types.size() * sizeof(Oid));
  auto it = text_.prepared.find(signature);
  if (it == text_.prepared.end()) {
    const std::string name = c_.nextStatementName();
    PgResult prep(PQprepare(c_.raw(), name.c_str(), text_.sql.c_str(), static_cast<int>(types.size()), types.data()));
    c_.check(prep.r, "prepare");
    it = text_.prepared.emplace(signature, name).first;
  }
  res_ = PgResult(PQexecPrepared(c_.raw(), it->second.c_str(), static_cast<int>(params_.size()), values.data(),
                                 lengths.data(), formats.data(), 1));
  c_.check(res_.r, "query");
}

std::int64_t PgStmt::integer(int col) const {
  if (PQgetisnull(res_.r, row_, col)) return 0;
  const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(res_.r, row_, col));
  const int n = PQgetlength(res_.r, row_, col);
  const Oid t = PQftype(res_.r, col);
  if (t == kInt8Oid || t == kInt4Oid || t == kInt2Oid || t == kBoolOid) {
    std::uint64_t u = 0;
    for (int k = 0; k < n; ++k) u = (u << 8) | p[k];
    // Sign-extend the narrower types.
    if (n < 8 && n > 0 && (p[0] & 0x80)) u |= ~std::uint64_t{0} << (8 * n);
    return static_cast<std::int64_t>(u);
  }
  // Text-like columns: as SQLite reads a number out of text.
  return std::strtoll(std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)).c_str(), nullptr, 10);
}

}  // namespace

bool isPostgresUri(const std::string& uri) {
  return uri.rfind("postgresql://", 0) == 0 || uri.rfind("postgres://", 0) == 0;
}

hostapi::Result<PgTarget> parsePostgresUri(const std::string& uri) {
  if (!isPostgresUri(uri))
    return hostapi::invalidArgument("a store URI must start with postgresql:// (postgresql://USER@HOST:PORT/DATABASE)");
  // The user-info part, to keep its password out of libpq's messages about the URI.
  std::string password;
  const std::size_t start = uri.find("://") + 3;
  const std::size_t at = uri.find('@', start);
  const std::size_t slash = uri.find('/', start);
  if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
    const std::string userinfo = uri.substr(start, at - start);
    if (auto colon = userinfo.find(':'); colon != std::string::npos) password = userinfo.substr(colon + 1);
  }
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(uri.c_str(), &err);
  if (!opts) {
    std::string msg = trimmed(err ? err : "out of memory");
    PQfreemem(err);
    if (!password.empty())
      for (std::size_t p = msg.find(password); p != std::string::npos; p = msg.find(password, p)) msg.replace(p, password.size(), "***");
    return hostapi::invalidArgument("the store URI is not a valid PostgreSQL URI (postgresql://USER@HOST:PORT/DATABASE): " + msg);
  }
  std::string host, port, db, user;
  for (PQconninfoOption* o = opts; o->keyword; ++o) {
    if (!o->val) continue;
    const std::string k = o->keyword;
    if (k == "host" && host.empty()) host = o->val;
    else if (k == "hostaddr" && host.empty()) host = o->val;
    else if (k == "port") port = o->val;
    else if (k == "dbname") db = o->val;
    else if (k == "user") user = o->val;
    else if (k == "password") password = o->val;
  }
  PQconninfoFree(opts);
  PgTarget t;
  t.uri = uri;
  t.password = password;
  t.name = (host.empty() ? std::string("localhost") : host) + ":" + (port.empty() ? std::string("5432") : port) + "/" +
           (db.empty() ? user : db);
  return t;
}

std::unique_ptr<Connection> openPostgres(const PgTarget& target, int busyTimeoutMs) {
  return std::make_unique<PgConnection>(target, busyTimeoutMs);
}

}  // namespace samplehost::store::detail
