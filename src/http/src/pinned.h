// The connection Client uses for requests that must reach exactly the addresses that were
// checked (Request::addressPolicy) or whose host is an IPv6 literal: Boost.Beast over one
// Boost.Asio socket connected to those addresses, run on the calling thread in short slices so
// that the overall deadline and the cancel check are noticed within milliseconds.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "photosync/http/address_policy.h"
#include "photosync/http/client.h"
#include "photosync/http/url.h"

namespace photosync::http::detail {

/// One request to `parts` over a new connection to the first of `addresses` that accepts it.
/// Host header, TLS SNI and the certificate's name check use parts.host. Same Status contract as
/// Client::send; `deadline` bounds everything (messages name request.timeout).
hostapi::Result<Response> sendPinned(const Request& request, const UrlParts& parts,
                                     const std::vector<IpAddress>& addresses, const std::string& userAgent,
                                     std::chrono::steady_clock::time_point deadline, const CancelCheck& cancelled);

}  // namespace photosync::http::detail
