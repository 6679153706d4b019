// idp-sim socket layer (Boost.Beast/Asio): reads HTTP/1.1 requests, hands them to Sim, and
// writes the answers — or misbehaves as the response asks: reset (SO_LINGER 0), truncated body,
// trickled body, delayed answer. Binds 127.0.0.1 only.
#pragma once

#include "sim.h"

#include <cstdint>
#include <functional>

namespace idpsim {

/// Runs the server until SIGINT/SIGTERM. `onListening(port)` is called once bound.
int runServer(Sim& sim, std::uint16_t port, int threads, const std::function<void(std::uint16_t)>& onListening);

}  // namespace idpsim
