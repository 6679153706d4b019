// `sample-host serve`: the host's SCIM 2.0 endpoint (/scim/v2/Users) on 127.0.0.1, through which
// an IdP provisions users into the host's SCIM directories. Runs until SIGINT/SIGTERM. The first
// line on stdout is the endpoint's base URL (scripts and tests read it).
#include <pthread.h>
#include <signal.h>

#include <iostream>

#include "cli_support.h"
#include "commands.h"
#include "samplehost/store/logger.h"
#include "samplehost/sync/scim_service.h"
#include "samplehost/sync/store_adapters.h"

namespace samplehost::app {
namespace {

constexpr const char* kName = "serve";

int run(const GlobalOptions& g, const CommandLine& a, std::ostream& out, std::ostream& err) {
  if (!a.positional.empty()) return usage(err, kName, "unexpected argument '" + a.positional[0] + "'");
  int port = 0;
  if (auto p = a.value("port")) {
    try {
      port = std::stoi(*p);
    } catch (const std::exception&) {
      port = -1;
    }
    if (port < 0 || port > 65535) return usage(err, kName, "--port must be 0-65535");
  }
  auto st = openStore(g.dataDir);
  if (!st) return fail(err, kName, st.status());
  // Block the stop signals in every thread (the listener's pool inherits the mask) and wait for
  // them here: no handler runs on an arbitrary thread.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  sync::StoreScimRepository repo(**st);
  sync::ScimServer server(repo, static_cast<std::uint16_t>(port));
  if (auto s = server.start(); !s) return fail(err, kName, s);
  out << "http://127.0.0.1:" << server.port() << "/scim/v2" << std::endl;
  err << "SCIM endpoint ready; stop with Ctrl-C" << std::endl;
  int sig = 0;
  sigwait(&stop, &sig);
  server.stop();
  err << "stopped" << std::endl;
  return kExitOk;
}

}  // namespace

Command serveCommand() {
  Command c;
  c.name = kName;
  c.summary = "serve the host's SCIM 2.0 endpoint on 127.0.0.1 (until Ctrl-C)";
  c.usage = "[--port PORT]";
  c.details =
      "An IdP provisions users into a SCIM directory with the directory's bearer token (its scimToken\n"
      "setting): POST/GET/PUT/PATCH/DELETE /scim/v2/Users. DELETE and active=false deactivate the user;\n"
      "nothing is ever deleted. `sample-host sync` then runs the plugins over the provisioned users.\n"
      "The first line printed is the endpoint's URL; --port 0 (default) picks a free port.";
  c.options = {{"port", "PORT", "port on 127.0.0.1 (default: a free one)"}};
  c.run = &run;
  return c;
}

}  // namespace samplehost::app
