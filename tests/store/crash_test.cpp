// A writer killed with SIGKILL mid-stream leaves a consistent store that holds every
// transaction it acknowledged (WAL + synchronous=NORMAL is durable across process death).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "samplehost/store/store.h"
#include "test_util.h"

namespace samplehost::store {
namespace {

using testing::openStore;
using testing::TempDir;

TEST(Crash, KilledWriterLeavesAConsistentStoreWithEveryAcknowledgedPage) {
  TempDir dir;
  std::string dirId;
  {
    auto store = openStore(dir.path());
    dirId = store->addDirectory(hostapi::DirectoryKind::kEntra, "Contoso")->id;
  }
  int acks[2];
  ASSERT_EQ(::pipe(acks), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child writes pages of users, avatars and state forever, acknowledging each commit.
    ::close(acks[0]);
    auto opened = Store::open(dir.path());
    if (!opened) ::_exit(2);
    auto& store = **opened;
    for (int pageNo = 0;; ++pageNo) {
      std::vector<UserImport> page;
      for (int i = 0; i < 50; ++i) {
        auto n = std::to_string(pageNo * 50 + i);
        page.push_back({"ext-" + n, "user" + n, "", "", true, {{"id", "\"" + n + "\""}}});
      }
      auto up = store.upsertUsers(dirId, "run", page);
      if (!up) ::_exit(3);
      for (const auto& u : up->users)
        if (!store.replaceAvatar(u.id, {"image/png", "png-" + u.id, 1, 1}, "photosync", std::nullopt)) ::_exit(4);
      if (!store.statePut("photosync", "page", std::to_string(pageNo))) ::_exit(5);
      char ack = 'a';
      if (::write(acks[1], &ack, 1) != 1) ::_exit(6);
    }
  }
  ::close(acks[1]);
  // Kill it once it has committed a few pages and is (almost certainly) inside the next one.
  int acked = 0;
  char ack;
  while (acked < 4 && ::read(acks[0], &ack, 1) == 1) ++acked;
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  while (::read(acks[0], &ack, 1) == 1) ++acked;  // acks written before the kill landed
  ::close(acks[0]);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the writer stopped on its own with exit code " << WEXITSTATUS(status);
  ASSERT_GE(acked, 4);

  auto store = openStore(dir.path());
  auto check = store->integrityCheck();
  EXPECT_TRUE(check.isOk()) << check.toString();
  auto users = store->countUsers();
  ASSERT_TRUE(users.isOk());
  EXPECT_GE(*users, static_cast<std::uint64_t>(acked) * 50) << "an acknowledged page was lost";
  EXPECT_EQ(*users % 50, 0u) << "a page is one transaction: all of it or none";
  auto page = store->stateGet("photosync", "page");
  ASSERT_TRUE(page.isOk() && page->has_value());
  EXPECT_GE(std::stoi(**page), acked - 1);
  // And the store takes the next run.
  EXPECT_TRUE(store->upsertUsers(store->directoryByName("Contoso")->id, "next", {{"new", "new", "", "", true, {}}})
                  .isOk());
}

}  // namespace
}  // namespace samplehost::store
