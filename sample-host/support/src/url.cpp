// See url.h.
#include "samplehost/net/url.h"

#include <cctype>

namespace samplehost::net {
namespace {

bool unreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string percentEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size());
  for (unsigned char c : bytes) {
    if (unreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    }
  }
  return out;
}

std::string formBody(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out.push_back('&');
    out += percentEncode(name) + "=" + percentEncode(value);
  }
  return out;
}

hostapi::Result<Url> parseUrl(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return hostapi::invalidArgument("not a usable http(s) URL (" + why + "): " + std::string(text.substr(0, 200)));
  };
  const auto schemeEnd = text.find("://");
  if (schemeEnd == std::string_view::npos) return bad("no scheme");
  Url url;
  url.scheme = lower(text.substr(0, schemeEnd));
  if (url.scheme != "http" && url.scheme != "https") return bad("the scheme is not http or https");
  std::string_view rest = text.substr(schemeEnd + 3);
  const auto authorityEnd = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authorityEnd);
  std::string_view tail = authorityEnd == std::string_view::npos ? std::string_view{} : rest.substr(authorityEnd);
  if (authority.find('@') != std::string_view::npos) return bad("user info is not allowed");
  std::string_view portText;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed IPv6 address");
    url.host = lower(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("junk after the IPv6 address");
      portText = after.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    url.host = lower(authority.substr(0, colon));
    if (colon != std::string_view::npos) portText = authority.substr(colon + 1);
  }
  if (url.host.empty()) return bad("no host");
  url.port = url.scheme == "https" ? 443 : 80;
  if (!portText.empty()) {
    if (portText.size() > 5) return bad("bad port");
    int port = 0;
    for (char c : portText) {
      if (c < '0' || c > '9') return bad("bad port");
      port = port * 10 + (c - '0');
    }
    if (port < 1 || port > 65535) return bad("bad port");
    url.port = port;
  }
  tail = tail.substr(0, tail.find('#'));
  url.target = tail.empty() || tail.front() != '/' ? "/" + std::string(tail) : std::string(tail);
  return url;
}

std::string originOf(const Url& url) {
  const bool v6 = url.host.find(':') != std::string::npos;
  return url.scheme + "://" + (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
}

hostapi::Result<std::string> originOf(std::string_view text) {
  auto url = parseUrl(text);
  if (!url) return url.status();
  return originOf(*url);
}

std::string displayHost(const Url& url) {
  const bool v6 = url.host.find(':') != std::string::npos;
  std::string host = v6 ? "[" + url.host + "]" : url.host;
  const int standard = url.scheme == "https" ? 443 : 80;
  return url.port == standard ? host : host + ":" + std::to_string(url.port);
}

bool isLoopbackHost(std::string_view host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace samplehost::net
