#include "photosync/http/url.h"

#include <cctype>

#include "photosync/common/text.h"

namespace photosync::http {
namespace {

bool isUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string percentEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size() * 3);
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (isUnreserved(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    }
  }
  return out;
}

std::string formEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out.push_back('&');
    out += percentEncode(k);
    out.push_back('=');
    out += percentEncode(v);
  }
  return out;
}

std::string percentDecode(std::string_view s, bool plusAsSpace) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hexValue(s[i + 1]), lo = hexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plusAsSpace && s[i] == '+' ? ' ' : s[i]);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parseForm(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!body.empty()) {
    const auto amp = body.find('&');
    const auto part = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    if (eq == std::string_view::npos)
      out.emplace_back(percentDecode(part, true), "");
    else
      out.emplace_back(percentDecode(part.substr(0, eq), true), percentDecode(part.substr(eq + 1), true));
  }
  return out;
}

hostapi::Result<UrlParts> parseUrl(std::string_view url) {
  // Messages name the URL only up to its path: query strings may carry tokens.
  auto shown = [&] {
    auto cut = url.find_first_of("?#");
    std::string s(url.substr(0, cut == std::string_view::npos ? url.size() : cut));
    if (s.size() > 200) s = s.substr(0, 200) + "...";
    return "\"" + s + "\"";
  };
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F)
      return hostapi::invalidArgument("the URL " + shown() + " contains spaces or control characters");
  const auto sep = url.find("://");
  if (sep == std::string_view::npos)
    return hostapi::invalidArgument("the URL " + shown() + " is not absolute (expected http:// or https://)");
  UrlParts parts;
  for (char c : url.substr(0, sep)) parts.scheme.push_back(lowerAscii(c));
  if (parts.scheme != "http" && parts.scheme != "https")
    return hostapi::invalidArgument("the URL " + shown() + " does not use http or https");
  std::string_view rest = url.substr(sep + 3);
  const auto authEnd = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authEnd);
  std::string_view tail = authEnd == std::string_view::npos ? std::string_view{} : rest.substr(authEnd);
  if (authority.find('@') != std::string_view::npos)
    return hostapi::invalidArgument("the URL " + shown() + " contains user information, which is not allowed");
  std::string_view hostPart, portPart;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos)
      return hostapi::invalidArgument("the URL " + shown() + " has an unterminated IPv6 address");
    hostPart = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return hostapi::invalidArgument("the URL " + shown() + " has a malformed host");
      portPart = after.substr(1);
      if (portPart.empty()) return hostapi::invalidArgument("the URL " + shown() + " has an empty port");
    }
    for (char c : hostPart)
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.'))
        return hostapi::invalidArgument("the URL " + shown() + " has a malformed IPv6 address");
  } else {
    const auto colon = authority.find(':');
    hostPart = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      portPart = authority.substr(colon + 1);
      if (portPart.empty()) return hostapi::invalidArgument("the URL " + shown() + " has an empty port");
    }
    for (char c : hostPart)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_'))
        return hostapi::invalidArgument("the URL " + shown() + " has an invalid host name");
  }
  if (hostPart.empty()) return hostapi::invalidArgument("the URL " + shown() + " has no host");
  for (char c : hostPart) parts.host.push_back(lowerAscii(c));
  if (!portPart.empty()) {
    if (portPart.size() > 5) return hostapi::invalidArgument("the URL " + shown() + " has an invalid port");
    int port = 0;
    for (char c : portPart) {
      if (c < '0' || c > '9') return hostapi::invalidArgument("the URL " + shown() + " has an invalid port");
      port = port * 10 + (c - '0');
    }
    if (port < 1 || port > 65535) return hostapi::invalidArgument("the URL " + shown() + " has an invalid port");
    parts.port = port;
  } else {
    parts.port = parts.scheme == "https" ? 443 : 80;
  }
  const auto hash = tail.find('#');
  if (hash != std::string_view::npos) tail = tail.substr(0, hash);
  parts.pathAndQuery = std::string(tail);
  if (parts.pathAndQuery.empty() || parts.pathAndQuery.front() != '/') parts.pathAndQuery.insert(0, "/");
  return parts;
}

namespace {
std::string bracketed(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}
}  // namespace

std::string origin(const UrlParts& parts) {
  return parts.scheme + "://" + bracketed(parts.host) + ":" + std::to_string(parts.port);
}

hostapi::Result<std::string> originOf(std::string_view url) {
  auto parts = parseUrl(url);
  if (!parts) return parts.status();
  return origin(*parts);
}

std::string hostForDisplay(const UrlParts& parts) {
  const int defaultPort = parts.scheme == "https" ? 443 : 80;
  if (parts.port == defaultPort) return bracketed(parts.host);
  return bracketed(parts.host) + ":" + std::to_string(parts.port);
}

}  // namespace photosync::http
