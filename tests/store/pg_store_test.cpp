// The store on PostgreSQL only (run as pg.store.Postgres*): what the server adds to the promises
// the shared suites check on both backends — a server that goes away and comes back, a URI whose
// password never shows, several stores (nodes) on one database with one key file, and the writer
// lock that serialises them.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "samplehost/store/secret_box.h"
#include "samplehost/store/store.h"
#include "test_util.h"
#include "testsupport/postgres.h"

namespace samplehost::store {
namespace {

using hostapi::DirectoryKind;
using hostapi::StatusCode;
using testing::openStore;
using testing::TempDir;

TEST(PostgresStore, APasswordInTheUriIsNeverInAMessage) {
  TempDir dir;
  // Port 1 on 127.0.0.1: nothing listens, the connection is refused at once.
  StoreOptions o;
  o.uri = "postgresql://alice:Pa55-w0rd-never-shown@127.0.0.1:1/photos";
  o.secrets = std::make_shared<SecretRegistry>();
  auto r = Store::open(dir.path(), o);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().toString();
  EXPECT_NE(r.status().message().find("127.0.0.1:1/photos"), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().message().find("Pa55-w0rd"), std::string::npos) << r.status().message();
  // The logger's registry scrubs it from anything else that might quote it.
  EXPECT_EQ(o.secrets->scrub("connecting with " + o.uri).find("Pa55-w0rd"), std::string::npos);

  o.uri = "postgresql://alice:Pa55-w0rd-never-shown@127.0.0.1:notaport/photos";
  auto bad = Store::open(dir.path(), o);
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message().find("Pa55-w0rd"), std::string::npos) << bad.status().message();
}

TEST(PostgresStore, ALostConnectionIsUnavailableNamingTheServerAndTheNextCallReconnects) {
  TESTSUPPORT_REQUIRE_POSTGRES();
  TempDir dir;
  ASSERT_TRUE(dir.onPostgres());
  auto store = openStore(dir.path());
  ASSERT_TRUE(store->addDirectory(DirectoryKind::kEntra, "Contoso").isOk());
  testsupport::PgDatabase* db = testing::currentPgDatabase();
  testsupport::PgDatabase admin;  // another database: a session that may kill the store's
  auto killStoreSessions = [&] {
    admin.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + db->name() +
               "' AND pid <> pg_backend_pid()");
  };
  // The server closes every session of the store (as a restart does): the next call finds its
  // pooled connection dead before anything ran, and runs on a new one.
  killStoreSessions();
  auto dirs = store->listDirectories();
  ASSERT_TRUE(dirs.isOk()) << dirs.status().toString();
  EXPECT_EQ(dirs->size(), 1u);

  // The server down for this database: UNAVAILABLE, naming host:port/database.
  admin.exec("ALTER DATABASE " + db->name() + " ALLOW_CONNECTIONS false");
  killStoreSessions();
  auto down = store->addDirectory(DirectoryKind::kGoogle, "Fabrikam");
  ASSERT_FALSE(down.isOk());
  EXPECT_EQ(down.status().code(), StatusCode::kUnavailable) << down.status().toString();
  EXPECT_NE(down.status().message().find("127.0.0.1:"), std::string::npos) << down.status().message();
  EXPECT_NE(down.status().message().find("/" + db->name()), std::string::npos) << down.status().message();

  // Back: the next call connects again.
  admin.exec("ALTER DATABASE " + db->name() + " ALLOW_CONNECTIONS true");
  auto back = store->addDirectory(DirectoryKind::kGoogle, "Fabrikam");
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  EXPECT_EQ(store->listDirectories()->size(), 2u);
}

TEST(PostgresStore, TwoNodesOnOneDatabaseShareTheKeyFileAndAWrongOneSaysWhatToDo) {
  TESTSUPPORT_REQUIRE_POSTGRES();
  TempDir a, b, c;
  testsupport::PgDatabase db;
  StoreOptions o;
  o.uri = db.uri();
  auto nodeA = Store::open(a.path(), o);
  ASSERT_TRUE(nodeA.isOk()) << nodeA.status().toString();
  auto d = (*nodeA)->addDirectory(DirectoryKind::kEntra, "Contoso");
  ASSERT_TRUE((*nodeA)->setDirectorySettings(d->id, {{"clientSecret", "s3cr3t-shared-value", true}}).isOk());

  // Node B without the key file: refused, and told to copy the key of a node of this database.
  auto noKey = Store::open(b.path(), o);
  ASSERT_FALSE(noKey.isOk());
  EXPECT_EQ(noKey.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(noKey.status().message().find("Every sample-host on this database needs the same key file"),
            std::string::npos)
      << noKey.status().message();

  // With node A's key: reads A's secrets.
  std::filesystem::copy_file(a.path() / kSecretKeyFileName, b.path() / kSecretKeyFileName);
  auto nodeB = Store::open(b.path(), o);
  ASSERT_TRUE(nodeB.isOk()) << nodeB.status().toString();
  auto s = (*nodeB)->directorySettings(d->id);
  ASSERT_TRUE(s.isOk()) << s.status().toString();
  EXPECT_EQ(s->secrets.at("clientSecret").reveal(), "s3cr3t-shared-value");

  // Node C with a key of its own (another data directory's): the secrets cannot be read, and
  // the message says to copy the key.
  {
    TempDir other;
    openStore(other.path());
    std::filesystem::copy_file(other.path() / kSecretKeyFileName, c.path() / kSecretKeyFileName);
  }
  auto nodeC = Store::open(c.path(), o);
  ASSERT_TRUE(nodeC.isOk()) << nodeC.status().toString();
  EXPECT_FALSE((*nodeC)->keyMatchesStore());
  auto wrong = (*nodeC)->directorySettings(d->id);
  ASSERT_FALSE(wrong.isOk());
  EXPECT_NE(wrong.status().message().find("copy secret.key from the node that stored the secrets"), std::string::npos)
      << wrong.status().message();
}

TEST(PostgresStore, WritersOfTwoNodesAreSerialisedAndNoneFails) {
  TESTSUPPORT_REQUIRE_POSTGRES();
  TempDir a, b;
  testsupport::PgDatabase db;
  StoreOptions o;
  o.uri = db.uri();
  auto nodeA = Store::open(a.path(), o);
  ASSERT_TRUE(nodeA.isOk()) << nodeA.status().toString();
  std::filesystem::copy_file(a.path() / kSecretKeyFileName, b.path() / kSecretKeyFileName);
  auto nodeB = Store::open(b.path(), o);
  ASSERT_TRUE(nodeB.isOk()) << nodeB.status().toString();
  auto d = (*nodeA)->addDirectory(DirectoryKind::kScim, "Contoso");
  ASSERT_TRUE(d.isOk());
  // Both nodes import the same 40 users at once, 3 threads each: unserialised, two inserts of
  // one new user would collide on UNIQUE(directory_id, external_id) and fail.
  std::vector<UserImport> page;
  for (int i = 0; i < 40; ++i)
    page.push_back({"ext-" + std::to_string(i), "user" + std::to_string(i), "", "", true, {}});
  std::atomic<int> failures{0};
  std::string firstFailure;
  std::mutex mu;
  std::vector<std::thread> threads;
  for (Store* node : {nodeA->get(), nodeB->get()})
    for (int t = 0; t < 3; ++t)
      threads.emplace_back([&, node, t] {
        for (int round = 0; round < 3; ++round) {
          auto r = node->upsertUsers(d->id, "run-" + std::to_string(t) + "-" + std::to_string(round), page);
          if (!r.isOk()) {
            std::lock_guard lock(mu);
            if (failures++ == 0) firstFailure = r.status().toString();
          }
        }
      });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0) << firstFailure;
  EXPECT_EQ(*(*nodeB)->countUsers({d->id}), 40u);
  EXPECT_TRUE((*nodeA)->integrityCheck().isOk());
}

// Every migration has a SQLite and a PostgreSQL text with the same tables, columns and
// constraints: both stores, migrated to the latest version, have the same tables and columns,
// each with the same type (INTEGER = bigint, TEXT = text, BLOB = bytea), nullability, primary and
// unique keys and foreign keys with their ON DELETE (CHECKs are compared by the shared suites'
// behaviour, not here). PostgreSQL's schema_version table and sync_runs.rowid (SQLite's implicit rowid)
// are the two differences by design.
TEST(PostgresStore, BothBackendsHaveTheSameTablesColumnsAndKeys) {
  TESTSUPPORT_REQUIRE_POSTGRES();
  TempDir pgDir, sqliteDir;
  std::filesystem::remove(sqliteDir.path() / kStoreUriFileName);  // this one stays on SQLite
  auto pg = openStore(pgDir.path());
  auto lite = openStore(sqliteDir.path());
  ASSERT_EQ(lite->file(), sqliteDir.path() / kStoreFileName);
  ASSERT_EQ(*pg->schemaVersion(), *lite->schemaVersion());

  // table.column type null|notnull, one line each, sorted.
  std::set<std::string> sqliteColumns, pgColumns, sqliteKeys, pgKeys, sqliteForeign, pgForeign;
  auto lines = [](const std::string& text, std::set<std::string>& out) {
    std::size_t start = 0;
    while (start < text.size()) {
      auto nl = text.find('\n', start);
      out.insert(text.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
      start = nl == std::string::npos ? text.size() : nl + 1;
    }
  };
  {
    testing::RawDb raw(lite->file());
    const auto tables = raw.rows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    for (const auto& t : tables) {
      for (const auto& c : raw.rows("SELECT name || ' ' || lower(type) || ' ' || CASE WHEN \"notnull\" OR pk THEN "
                                    "'notnull' ELSE 'null' END FROM pragma_table_info('" + t + "')"))
        sqliteColumns.insert(t + "." + c);
      // Unique constraints and the primary key, as their column lists.
      for (const auto& idx : raw.rows("SELECT name FROM pragma_index_list('" + t + "') WHERE \"unique\""))
        sqliteKeys.insert(t + "(" + raw.rows("SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_index_info('" +
                                             idx + "') ORDER BY seqno)").front() + ")");
      const auto pk = raw.rows("SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_table_info('" + t +
                               "') WHERE pk > 0 ORDER BY pk)");
      if (!pk.empty() && !pk.front().empty()) sqliteKeys.insert(t + "(" + pk.front() + ")");
      for (const auto& fk : raw.rows("SELECT \"from\" || '->' || \"table\" || '(' || \"to\" || ') on delete ' || "
                                     "lower(on_delete) FROM pragma_foreign_key_list('" + t + "')"))
        sqliteForeign.insert(t + "." + fk);
    }
  }
  {
    testsupport::PgDatabase* db = pgDir.database();
    ASSERT_NE(db, nullptr);
    const std::string cols = db->scalar(
        "SELECT string_agg(table_name || '.' || column_name || ' ' || CASE data_type WHEN 'bigint' THEN 'integer' "
        "WHEN 'bytea' THEN 'blob' ELSE data_type END || ' ' || CASE is_nullable WHEN 'NO' THEN 'notnull' ELSE "
        "'null' END, E'\\n') FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name <> 'schema_version' AND NOT (table_name = 'sync_runs' AND column_name = 'rowid')");
    lines(cols, pgColumns);
    const std::string keys = db->scalar(
        "SELECT string_agg(k, E'\\n') FROM (SELECT c.conrelid::regclass::text || '(' || string_agg(a.attname, ',' "
        "ORDER BY u.ord) || ')' AS k FROM pg_constraint c CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY "
        "AS u(attnum, ord) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = u.attnum "
        "JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = current_schema() AND c.contype IN "
        "('p', 'u') AND c.conrelid::regclass::text <> 'schema_version' AND a.attname <> 'rowid' "
        "GROUP BY c.oid, c.conrelid) s");
    lines(keys, pgKeys);
    // Single-column foreign keys (the store has no other): column->table(column) on delete action.
    lines(db->scalar("SELECT string_agg(c.conrelid::regclass::text || '.' || a.attname || '->' || "
                     "c.confrelid::regclass::text || '(' || f.attname || ') on delete ' || CASE c.confdeltype "
                     "WHEN 'c' THEN 'cascade' WHEN 'n' THEN 'set null' WHEN 'r' THEN 'restrict' "
                     "ELSE 'no action' END, E'\\n') FROM pg_constraint c "
                     "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
                     "JOIN pg_attribute f ON f.attrelid = c.confrelid AND f.attnum = c.confkey[1] "
                     "JOIN pg_namespace n ON n.oid = c.connamespace "
                     "WHERE n.nspname = current_schema() AND c.contype = 'f'"),
          pgForeign);
  }
  EXPECT_GT(sqliteColumns.size(), 50u);
  EXPECT_EQ(sqliteColumns, pgColumns);
  EXPECT_GT(sqliteKeys.size(), 10u);
  EXPECT_EQ(sqliteKeys, pgKeys);
  EXPECT_GT(sqliteForeign.size(), 8u);
  EXPECT_EQ(sqliteForeign, pgForeign);
}

}  // namespace
}  // namespace samplehost::store
