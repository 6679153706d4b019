// The admin console `sample-host serve` serves beside the SCIM endpoint: its own cpprestsdk
// listener on 127.0.0.1 (a second port), the JSON admin API of docs/admin-api.md behind a login,
// and the page's files compiled into the binary. Requests are answered on the console's own
// worker threads, never on cpprestsdk's pool (a plugin's connection test may take a minute), and
// a sync started from the console runs on a thread of its own under the data directory's sync
// lock, the same as `sample-host sync`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "hostapi/status.h"
#include "samplehost/sync/host_session.h"

namespace samplehost::console {

struct ConsoleOptions {
  std::filesystem::path dataDir;
  std::uint16_t port = 0;  // 0: a free one
};

class ConsoleServer {
 public:
  /// `session` (store, log, loaded plugins) must outlive the server.
  ConsoleServer(sync::HostSession& session, ConsoleOptions options);
  /// stop()
  ~ConsoleServer();
  ConsoleServer(const ConsoleServer&) = delete;
  ConsoleServer& operator=(const ConsoleServer&) = delete;

  hostapi::Status start();
  /// Closes the listener, cancels a running console sync and waits for it, ends the workers.
  void stop();
  std::uint16_t port() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace samplehost::console
