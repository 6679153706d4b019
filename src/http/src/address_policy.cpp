#include "photosync/http/address_policy.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>

#include "photosync/common/text.h"

namespace photosync::http {
namespace {

IpAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  IpAddress r;
  r.bytes[0] = a;
  r.bytes[1] = b;
  r.bytes[2] = c;
  r.bytes[3] = d;
  return r;
}

IpAddress v6From(const in6_addr& in) {
  IpAddress r;
  r.v6 = true;
  std::memcpy(r.bytes.data(), &in, 16);
  return r;
}

IpAddress v4From(const in_addr& in) {
  IpAddress r;
  std::memcpy(r.bytes.data(), &in, 4);
  return r;
}

bool prefixMatches(const IpAddress& a, const IpAddress& base, int prefix) {
  if (a.v6 != base.v6) return false;
  int full = prefix / 8, rest = prefix % 8;
  for (int i = 0; i < full; ++i)
    if (a.bytes[static_cast<std::size_t>(i)] != base.bytes[static_cast<std::size_t>(i)]) return false;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
  return (a.bytes[static_cast<std::size_t>(full)] & mask) == (base.bytes[static_cast<std::size_t>(full)] & mask);
}

struct Refused {
  IpAddress base;
  int prefix;
  const char* what;
};

const std::vector<Refused>& refusedV4() {
  static const std::vector<Refused> list = {
      {v4(0, 0, 0, 0), 8, "an unspecified (\"this network\") address (0.0.0.0/8)"},
      {v4(127, 0, 0, 0), 8, "a loopback address (127.0.0.0/8)"},
      {v4(10, 0, 0, 0), 8, "a private address (10.0.0.0/8)"},
      {v4(172, 16, 0, 0), 12, "a private address (172.16.0.0/12)"},
      {v4(192, 168, 0, 0), 16, "a private address (192.168.0.0/16)"},
      {v4(100, 64, 0, 0), 10, "a shared (carrier-grade NAT) address (100.64.0.0/10)"},
      {v4(169, 254, 0, 0), 16, "a link-local address, where cloud metadata services live (169.254.0.0/16)"},
      {v4(192, 0, 0, 0), 24, "an IETF protocol address (192.0.0.0/24)"},
      {v4(198, 18, 0, 0), 15, "a benchmarking address (198.18.0.0/15)"},
      {v4(224, 0, 0, 0), 4, "a multicast address (224.0.0.0/4)"},
      {v4(255, 255, 255, 255), 32, "the broadcast address (255.255.255.255)"},
      {v4(240, 0, 0, 0), 4, "a reserved address (240.0.0.0/4)"},
  };
  return list;
}

IpAddress v6Literal(const char* text) {
  in6_addr in{};
  inet_pton(AF_INET6, text, &in);
  return v6From(in);
}

const std::vector<Refused>& refusedV6() {
  static const std::vector<Refused> list = {
      {v6Literal("::"), 128, "the unspecified address (::)"},
      {v6Literal("::1"), 128, "the loopback address (::1)"},
      {v6Literal("fd00:ec2::254"), 128, "a cloud metadata address (fd00:ec2::254)"},
      {v6Literal("fc00::"), 7, "a unique-local address (fc00::/7)"},
      {v6Literal("fe80::"), 10, "a link-local address (fe80::/10)"},
      {v6Literal("fec0::"), 10, "a site-local address (fec0::/10)"},
      {v6Literal("ff00::"), 8, "a multicast address (ff00::/8)"},
      {v6Literal("100::"), 64, "a discard-only address (100::/64)"},
      {v6Literal("2001:db8::"), 32, "a documentation address (2001:db8::/32)"},
  };
  return list;
}

}  // namespace

std::string addressText(const IpAddress& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(a.v6 ? AF_INET6 : AF_INET, a.bytes.data(), buf, sizeof buf);
  return buf;
}

std::optional<IpAddress> parseIpLiteral(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string s(text);
  in_addr in4{};
  if (inet_pton(AF_INET, s.c_str(), &in4) == 1) return v4From(in4);
  in6_addr in6{};
  if (inet_pton(AF_INET6, s.c_str(), &in6) == 1) return v6From(in6);
  return std::nullopt;
}

std::optional<IpAddress> parseNumericHost(std::string_view host) {
  if (auto a = parseIpLiteral(host)) return a;
  if (host.empty() || host.size() > 64) return std::nullopt;
  // inet_aton stops at a blank and accepts what is before it; a host has no blanks, but a
  // trailing '.' or junk must not make a name look numeric.
  for (char c : host)
    if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'x' || c == 'X')) return std::nullopt;
  const std::string s(host);
  in_addr in{};
  if (inet_aton(s.c_str(), &in) == 1) return v4From(in);
  return std::nullopt;
}

IpAddress unwrapEmbeddedIpv4(const IpAddress& a) {
  if (!a.v6) return a;
  static const IpAddress mapped = v6Literal("::ffff:0:0");
  static const IpAddress compat = v6Literal("::");
  static const IpAddress nat64 = v6Literal("64:ff9b::");
  const bool isMapped = prefixMatches(a, mapped, 96);
  const bool isNat64 = prefixMatches(a, nat64, 96);
  const bool isCompat = prefixMatches(a, compat, 96) && a != v6Literal("::") && a != v6Literal("::1");
  if (!isMapped && !isNat64 && !isCompat) return a;
  return v4(a.bytes[12], a.bytes[13], a.bytes[14], a.bytes[15]);
}

std::optional<std::string> refusedClass(const IpAddress& a) {
  const IpAddress u = unwrapEmbeddedIpv4(a);
  const std::string prefix = (a.v6 && !u.v6) ? "an IPv6 form of " : "";
  for (const auto& r : u.v6 ? refusedV6() : refusedV4())
    if (prefixMatches(u, r.base, r.prefix)) {
      if (prefix.empty()) return std::string(r.what);
      return prefix + addressText(u) + ", " + r.what;
    }
  return std::nullopt;
}

bool AddressRange::contains(const IpAddress& a) const {
  return prefixMatches(a, base, prefix) || prefixMatches(unwrapEmbeddedIpv4(a), base, prefix);
}

std::string AddressRange::text() const { return addressText(base) + "/" + std::to_string(prefix); }

hostapi::Result<AddressRange> parseAddressRange(std::string_view text) {
  const std::string shown = "\"" + std::string(text.substr(0, 80)) + "\"";
  const auto slash = text.find('/');
  const std::string_view addr = text.substr(0, slash);
  auto a = parseIpLiteral(addr);
  if (!a)
    return hostapi::invalidArgument(shown + " is not an address range; write it in CIDR notation with a dotted "
                                            "IPv4 or an IPv6 address, e.g. 127.0.0.0/8 or ::1/128");
  const int maxPrefix = a->v6 ? 128 : 32;
  int prefix = maxPrefix;
  if (slash != std::string_view::npos) {
    const std::string_view p = text.substr(slash + 1);
    if (p.empty() || p.size() > 3 || !std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return hostapi::invalidArgument(shown + " has an invalid prefix length (0-" + std::to_string(maxPrefix) + ")");
    prefix = std::stoi(std::string(p));
    if (prefix > maxPrefix)
      return hostapi::invalidArgument(shown + " has an invalid prefix length (0-" + std::to_string(maxPrefix) + ")");
  }
  AddressRange r;
  r.prefix = prefix;
  r.base = *a;
  for (int bit = prefix; bit < (a->v6 ? 128 : 32); ++bit)
    r.base.bytes[static_cast<std::size_t>(bit / 8)] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
  return r;
}

hostapi::Result<std::vector<AddressRange>> parseAddressRanges(std::string_view text) {
  std::vector<AddressRange> out;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto end = text.find_first_of(", \t\r\n", i);
    const std::string_view entry = text.substr(i, end == std::string_view::npos ? text.size() - i : end - i);
    i = end == std::string_view::npos ? text.size() : end + 1;
    if (entry.empty()) continue;
    auto r = parseAddressRange(entry);
    if (!r) return r.status();
    if (std::find(out.begin(), out.end(), r.value()) == out.end()) out.push_back(r.value());
  }
  return out;
}

hostapi::Status AddressPolicy::check(const IpAddress& a, std::string_view host) const {
  auto why = refusedClass(a);
  if (!why) return {};
  for (const auto& r : allowed_)
    if (r.contains(a)) return {};
  const std::string text = addressText(a);
  const std::string who = host == text ? "the address " + text + " is" : std::string(host) + " resolves to " + text + ",";
  return hostapi::permissionDenied(who + " " + *why +
                                   ", which PhotoSync does not connect to for URLs from the identity provider; "
                                   "an administrator can allow it with the page's \"Allowed photo address "
                                   "ranges\" (dangerous: it opens internal services to these URLs)");
}

hostapi::Result<std::vector<IpAddress>> AddressPolicy::resolve(const std::string& host) const {
  if (auto numeric = parseNumericHost(host)) {
    if (auto st = check(*numeric, host); !st) return st;
    return std::vector<IpAddress>{*numeric};
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(res, &freeaddrinfo);
  if (rc != 0 || res == nullptr)
    return hostapi::unavailable("the name " + host + " could not be resolved (" +
                                (rc != 0 ? std::string(gai_strerror(rc)) : std::string("no address")) + ")");
  std::vector<IpAddress> out;
  for (const addrinfo* p = res; p != nullptr; p = p->ai_next) {
    IpAddress a;
    if (p->ai_family == AF_INET)
      a = v4From(reinterpret_cast<const sockaddr_in*>(p->ai_addr)->sin_addr);
    else if (p->ai_family == AF_INET6)
      a = v6From(reinterpret_cast<const sockaddr_in6*>(p->ai_addr)->sin6_addr);
    else
      continue;
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  }
  if (out.empty()) return hostapi::unavailable("the name " + host + " has no IPv4 or IPv6 address");
  for (const auto& a : out)
    if (auto st = check(a, host); !st) return st;
  return out;
}

}  // namespace photosync::http
