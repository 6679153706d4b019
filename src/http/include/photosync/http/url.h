// photosync::http url — the few URL operations PhotoSync needs: percent-encoding path segments,
// query values and form fields (RFC 3986 unreserved kept, everything else %XX), and splitting an
// absolute http(s) URL into scheme/host/port for connection reuse and host allow-lists.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hostapi/status.h"

namespace photosync::http {

/// Encodes everything but RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~), so '/', '?',
/// '#', '@', '+', '&', '=', '%' and non-ASCII bytes all become %XX. Use for one path segment
/// (a user id or UPN) and for one query value.
std::string percentEncode(std::string_view bytes);
inline std::string encodePathSegment(std::string_view s) { return percentEncode(s); }
inline std::string encodeQueryValue(std::string_view s) { return percentEncode(s); }

/// application/x-www-form-urlencoded body: k=v&k=v with both sides percentEncode()d.
std::string formEncode(const std::vector<std::pair<std::string, std::string>>& fields);

/// Decodes %XX (and '+' as space when `plusAsSpace`); nullopt-free: malformed escapes are kept.
std::string percentDecode(std::string_view s, bool plusAsSpace = false);
/// Parses a form body into pairs (decoded). For tests and the simulator.
std::vector<std::pair<std::string, std::string>> parseForm(std::string_view body);

struct UrlParts {
  std::string scheme;       // "http" or "https", lowercase
  std::string host;         // lowercase; IPv6 without brackets
  int port = 0;             // explicit or the scheme's default (80/443)
  std::string pathAndQuery; // "/..." (at least "/"), fragment dropped
};

/// Splits an absolute http(s) URL. INVALID_ARGUMENT (naming the URL) for other schemes, a missing
/// host, userinfo, a bad port.
hostapi::Result<UrlParts> parseUrl(std::string_view url);

/// "scheme://host:port" (the port always written; IPv6 hosts bracketed).
std::string origin(const UrlParts& parts);
hostapi::Result<std::string> originOf(std::string_view url);

/// "host" or "host:port" when the port is not the scheme default; for messages and allow-lists.
std::string hostForDisplay(const UrlParts& parts);

}  // namespace photosync::http
