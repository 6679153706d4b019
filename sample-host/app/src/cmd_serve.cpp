// `sample-host serve`: the host's SCIM 2.0 endpoint (/scim/v2/Users) on 127.0.0.1, through which
// an IdP provisions users into the host's SCIM directories, and the admin console on a second
// listener (samplehost::console, docs/admin-api.md). Runs until SIGINT/SIGTERM. The first line on
// stdout is the SCIM endpoint's base URL (scripts and tests read it), the second
// "console: http://127.0.0.1:PORT/".
#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <iostream>

#include "cli_support.h"
#include "commands.h"
#include "samplehost/console/console_server.h"
#include "samplehost/store/logger.h"
#include "samplehost/sync/hook_runner.h"
#include "samplehost/sync/host_session.h"
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
  int consolePort = 0;
  if (auto p = a.value("console-port")) {
    try {
      consolePort = std::stoi(*p);
    } catch (const std::exception&) {
      consolePort = -1;
    }
    if (consolePort < 0 || consolePort > 65535) return usage(err, kName, "--console-port must be 0-65535");
  }
  // The console renders the plugins' pages, validates, tests and syncs: the process loads them
  // once, for its whole life.
  sync::SessionOptions so;
  so.storeUri = g.storeUri;
  so.terminalLogLevel = hostapi::LogLevel::kError;
  so.nodeId = g.nodeId;
  auto opened = sync::HostSession::open(g.dataDir, so);
  if (!opened) return fail(err, kName, opened.status());
  auto& session = **opened;
  // Block the stop signals in every thread (the listeners' pools inherit the mask) and wait for
  // them here: no handler runs on an arbitrary thread.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  sync::StoreScimRepository repo(session.store());
  sync::ScimServer server(repo, static_cast<std::uint16_t>(port));
  if (auto s = server.start(); !s) return fail(err, kName, s);
  console::ConsoleServer consoleServer(session, {g.dataDir, static_cast<std::uint16_t>(consolePort)});
  if (auto s = consoleServer.start(); !s) return fail(err, kName, s);
  out << "http://127.0.0.1:" << server.port() << "/scim/v2" << std::endl;
  out << "console: http://127.0.0.1:" << consoleServer.port() << "/" << std::endl;
  err << "SCIM endpoint and admin console ready; stop with Ctrl-C" << std::endl;
  if (auto hash = session.store().adminPasswordHash(); hash && !hash->has_value())
    err << "note: no admin password is set; the console refuses every request until one is: sample-host --data-dir "
        << g.dataDir.string() << " admin set-password" << std::endl;
  int sig = 0;
  sigwait(&stop, &sig);
  consoleServer.stop();  // cancels a console sync and waits for it
  server.stop();
  session.shutdownPlugins();
  err << "stopped" << std::endl;
  if (sync::abandonedCallsRunning() > 0) {
    // A plugin is still inside a call the console gave up on: static destruction would pull its
    // services from under it. End here, output flushed.
    out.flush();
    err.flush();
    std::_Exit(kExitOk);
  }
  return kExitOk;
}

}  // namespace

Command serveCommand() {
  Command c;
  c.name = kName;
  c.summary = "serve the host's SCIM 2.0 endpoint and the admin console on 127.0.0.1 (until Ctrl-C)";
  c.usage = "[--port PORT] [--console-port PORT]";
  c.details =
      "An IdP provisions users into a SCIM directory with the directory's bearer token (its scimToken\n"
      "setting): POST/GET/PUT/PATCH/DELETE /scim/v2/Users. DELETE and active=false deactivate the user;\n"
      "nothing is ever deleted. `sample-host sync` then runs the plugins over the provisioned users.\n"
      "The first line printed is the endpoint's URL; --port 0 (default) picks a free port.\n"
      "The admin console (docs/admin-api.md) listens on a port of its own; the second line printed is\n"
      "\"console: URL\". It needs an admin password: `sample-host admin set-password`.";
  c.options = {{"port", "PORT", "SCIM endpoint's port on 127.0.0.1 (default: a free one)"},
               {"console-port", "PORT", "the admin console's port on 127.0.0.1 (default: a free one)"}};
  c.run = &run;
  return c;
}

}  // namespace samplehost::app
