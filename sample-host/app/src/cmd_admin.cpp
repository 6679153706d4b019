// `sample-host admin set-password`: the admin console's password (docs/admin-api.md). Read
// without echo (twice) from a terminal, or one line from stdin otherwise; stored only as a salted
// scrypt hash (samplehost::console::hashPassword) in the store. The console cannot set it: whoever
// sets it can already read the data directory.
#include <unistd.h>

#include "cli_support.h"
#include "commands.h"
#include "samplehost/console/password_hash.h"

namespace samplehost::app {
namespace {

constexpr const char* kName = "admin";

int run(const GlobalOptions& g, const CommandLine& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 1 || a.positional[0] != "set-password")
    return usage(err, kName, "admin needs set-password");
  auto password = readSecret("new admin password");
  if (!password) return fail(err, kName, password.status().message());
  if (password->size() < console::kMinPasswordLength)
    return fail(err, kName, "the password is too short: at least " + std::to_string(console::kMinPasswordLength) +
                                " characters (nothing saved)");
  if (::isatty(STDIN_FILENO)) {
    auto again = readSecret("the same password again");
    if (!again) return fail(err, kName, again.status().message());
    if (*again != *password) return fail(err, kName, "the two passwords differ (nothing saved)");
  }
  auto hash = console::hashPassword(*password);
  if (!hash) return fail(err, kName, hash.status());
  auto st = openStore(g.dataDir, g.storeUri);
  if (!st) return fail(err, kName, st.status());
  if (auto s = (*st)->setAdminPasswordHash(*hash); !s) return fail(err, kName, s);
  out << "admin password set; console sessions opened with an earlier password end at their next request\n";
  return kExitOk;
}

}  // namespace

Command adminCommand() {
  Command c;
  c.name = kName;
  c.summary = "set the admin console's password";
  c.usage = "set-password";
  c.details =
      "The admin console (`sample-host serve`, second line: console URL) needs a password before any of\n"
      "its API works. set-password reads it without echo, twice, from a terminal, or one line from\n"
      "stdin otherwise; at least 12 characters. Only a salted scrypt hash is stored (schema 3).";
  c.run = &run;
  return c;
}

}  // namespace samplehost::app
