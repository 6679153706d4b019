// What the host's cpprestsdk listeners (the SCIM endpoint, the admin console) share: finding a
// free port on 127.0.0.1 and ending a reply's task chain so its exception is observed.
#pragma once

#include <pplx/pplxtasks.h>

#include <cstdint>

namespace samplehost::sync {

/// A port that was free a moment ago on 127.0.0.1 (cpprest's listener cannot report the port it
/// bound for port 0, so the host asks the kernel first); 0 when none could be found.
std::uint16_t pickFreeLoopbackPort();

/// Ends `t`'s chain with a task-based continuation that swallows its exception: the client went
/// away before the reply was sent, and an unobserved pplx exception would terminate the host.
void observeReply(pplx::task<void> t);

}  // namespace samplehost::sync
