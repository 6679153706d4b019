// samplehost::net url — the URL handling the host's import needs: percent-encoding of one path
// segment, query value or form field (everything but RFC 3986's unreserved characters), form
// bodies, and splitting an absolute http(s) URL to compare origins (a next-page link must stay
// on the host the token was meant for).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hostapi/status.h"

namespace samplehost::net {

/// Keeps A-Z a-z 0-9 - . _ ~ and writes every other byte as %XX (uppercase hex).
std::string percentEncode(std::string_view bytes);

/// application/x-www-form-urlencoded: name=value pairs joined by '&', both sides percentEncode()d.
std::string formBody(const std::vector<std::pair<std::string, std::string>>& fields);

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // lowercase, IPv6 without brackets
  int port = 0;        // explicit, else 80 / 443
  std::string target;  // path and query, at least "/"; the fragment dropped
};

/// INVALID_ARGUMENT naming what is wrong for anything but an absolute http(s) URL with a host
/// (user info and bad ports refused too).
hostapi::Result<Url> parseUrl(std::string_view text);

/// "scheme://host:port", port always written, IPv6 bracketed: equal strings, same origin.
std::string originOf(const Url& url);
hostapi::Result<std::string> originOf(std::string_view text);

/// "host" or "host:port" (when not the default port), for messages.
std::string displayHost(const Url& url);

/// 127.0.0.0/8, ::1 and localhost: the only hosts the host talks plain http to.
bool isLoopbackHost(std::string_view host);

}  // namespace samplehost::net
