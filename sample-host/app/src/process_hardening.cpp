// See process_hardening.h.
#include "process_hardening.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cstdlib>
#include <cstring>

namespace samplehost::app {
namespace {

bool allowedByEnv() noexcept {
  const char* v = std::getenv(kAllowCoreDumpsEnv);
  return v != nullptr && std::strcmp(v, "1") == 0;
}

}  // namespace

void hardenProcess() noexcept {
  if (allowedByEnv()) return;
  const rlimit none{0, 0};
  (void)::setrlimit(RLIMIT_CORE, &none);
  (void)::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

CoreDumpState coreDumpState() noexcept {
  CoreDumpState s;
  s.dumpable = ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) > 0;
  rlimit lim{};
  s.coreLimitZero = ::getrlimit(RLIMIT_CORE, &lim) == 0 && lim.rlim_cur == 0;
  s.allowedByEnv = allowedByEnv();
  return s;
}

}  // namespace samplehost::app
