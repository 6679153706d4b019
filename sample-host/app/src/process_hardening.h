// What the sample host does to its own process before anything else: no core dumps, because a
// core of a host mid-sync holds every decrypted secret and private key (issue 16 measured a
// 596 MB core with the client secret in it 7-8 times). An admin who needs a core to debug a
// crash sets PHOTOSYNC_ALLOW_CORE_DUMPS=1 for that run (docs/admin-guide.md, Troubleshooting).
#pragma once

namespace samplehost::app {

/// The environment variable that keeps core dumps as the system has them (value "1").
inline constexpr const char* kAllowCoreDumpsEnv = "PHOTOSYNC_ALLOW_CORE_DUMPS";

/// Unless kAllowCoreDumpsEnv is "1": RLIMIT_CORE to 0 (soft and hard, so nothing the process
/// runs can raise it again) and PR_SET_DUMPABLE 0 (no core even through a core_pattern pipe, no
/// ptrace attach by other processes of the same user, /proc/PID/mem closed). Called first in
/// main(); failures are ignored because there is nothing better to do than run.
void hardenProcess() noexcept;

/// The state of this process, for `sample-host security`.
struct CoreDumpState {
  bool dumpable = false;      // prctl(PR_GET_DUMPABLE) != 0
  bool coreLimitZero = true;  // getrlimit(RLIMIT_CORE).rlim_cur == 0
  bool allowedByEnv = false;  // kAllowCoreDumpsEnv was "1"
  /// A crash would write a core (as far as this process decides it).
  bool coreDumps() const { return dumpable && !coreLimitZero; }
};
CoreDumpState coreDumpState() noexcept;

}  // namespace samplehost::app
