// photosync::http address policy — which IP addresses PhotoSync may connect to for URLs that come
// from IdP-provided data (SCIM photo URLs). A host name on an allow-list says nothing about where
// it points: a name can resolve, or rebind, to 169.254.169.254 or 10.0.0.1. So the transport
// resolves the name itself (getaddrinfo), checks every address against this policy, and connects
// only to the addresses it checked, with no second lookup (Request::addressPolicy).
//
// Refused unless an allowed range of the page covers them: loopback, private (10/8, 172.16/12,
// 192.168/16), shared (100.64/10), link-local and cloud metadata (169.254/16, fe80::/10,
// fd00:ec2::254), unique-local (fc00::/7), unspecified (0/8, ::), multicast (224/4, ff00::/8),
// reserved and broadcast (240/4), site-local (fec0::/10), and the IPv4-mapped (::ffff:0:0/96),
// IPv4-compatible (::/96) and NAT64 (64:ff9b::/96) forms of refused IPv4 addresses.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hostapi/status.h"

namespace photosync::http {

struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 in bytes[0..3]
  bool operator==(const IpAddress&) const = default;
};

/// The canonical text: dotted quad, or RFC 5952 IPv6 (inet_ntop), without brackets.
std::string addressText(const IpAddress& a);

/// A strict literal: a dotted quad of four decimal parts, or an IPv6 address (no brackets, no
/// zone). nullopt for anything else.
std::optional<IpAddress> parseIpLiteral(std::string_view text);

/// What a resolver makes of a numeric host: the strict forms and also the inet_aton forms
/// ("2130706433", "0x7f.1", "127.1", "0177.0.0.1"), which getaddrinfo accepts as addresses.
/// nullopt for a host name.
std::optional<IpAddress> parseNumericHost(std::string_view host);

/// An IPv4 address embedded in an IPv6 one (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d except
/// :: and ::1, NAT64 64:ff9b::a.b.c.d), else the address itself.
IpAddress unwrapEmbeddedIpv4(const IpAddress& a);

/// Why `a` is refused by default, e.g. "a private address (10.0.0.0/8)"; nullopt for a public
/// address. Embedded IPv4 forms are classified by the IPv4 address they carry.
std::optional<std::string> refusedClass(const IpAddress& a);

/// An address range in CIDR notation ("127.0.0.0/8", "::1/128"); a lone address is /32 or /128.
struct AddressRange {
  IpAddress base;  // host bits cleared
  int prefix = 0;
  bool contains(const IpAddress& a) const;  // embedded IPv4 forms match IPv4 ranges
  std::string text() const;
  bool operator==(const AddressRange&) const = default;
};

/// One range; INVALID_ARGUMENT saying what is wrong.
hostapi::Result<AddressRange> parseAddressRange(std::string_view text);

/// The page field: ranges separated by newlines, commas or blanks; blank entries ignored.
/// INVALID_ARGUMENT naming the entry.
hostapi::Result<std::vector<AddressRange>> parseAddressRanges(std::string_view text);

class AddressPolicy {
 public:
  AddressPolicy() = default;
  explicit AddressPolicy(std::vector<AddressRange> allowed) : allowed_(std::move(allowed)) {}

  /// OK when `a` is public or inside an allowed range; PERMISSION_DENIED naming `host`, the
  /// address, its class and the setting that would allow it.
  hostapi::Status check(const IpAddress& a, std::string_view host) const;

  /// Resolves `host` (a numeric host is taken as is, no lookup) and checks every address. The
  /// addresses to connect to, in resolver order, all of them allowed; PERMISSION_DENIED when any
  /// address is refused (a name that points anywhere refused is refused as a whole), UNAVAILABLE
  /// when the name does not resolve.
  hostapi::Result<std::vector<IpAddress>> resolve(const std::string& host) const;

  const std::vector<AddressRange>& allowed() const noexcept { return allowed_; }

 private:
  std::vector<AddressRange> allowed_;
};

}  // namespace photosync::http
