// photosync::providers scim — photos named by a SCIM user's `photos` attribute (RFC 7643 §4.1.2:
// `value` a URI, `type` photo/thumbnail, `primary`). The entry is chosen per the page's preferred
// type; `data:` URIs (RFC 2397) are decoded locally with no request; http(s) URLs are fetched only
// from the page's allowed hosts (https unless plain http is allowed, no userinfo, redirects only
// to allowed hosts, the byte cap enforced while reading). Version tags come from HEAD (ETag, else
// Last-Modified, with the URL), or from a hash of a GET when the host refuses HEAD. A 404/410 on
// the URL or an absent/empty `photos` attribute mean "no photo"; anything else that fails
// (429, 5xx, resets, refused URLs) is an error, never "no photo".
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hostapi/plugin.h"
#include "hostapi/settings.h"
#include "hostapi/status.h"
#include "photosync/http/address_policy.h"
#include "photosync/http/client.h"
#include "photosync/http/retry.h"
#include "photosync/providers/provider.h"

namespace photosync::providers {

/// One line of the page's "Allowed photo hosts": a host name or IP literal, and a port when the
/// line names one. A URL matches when its host is equal (case-insensitively, no wildcards, no
/// subdomains) and its port is the line's port, or — for a line without a port — the default
/// port of the URL's scheme (443 for https, 80 for http).
struct AllowedHost {
  std::string host;  // lowercase; IPv6 without brackets
  std::optional<int> port;
  bool operator==(const AllowedHost&) const = default;
};

/// Parses the multiline field: one host[:port] per line, blank lines and surrounding blanks
/// ignored; the port 1-65535 (at most 5 digits), an IPv6 literal bracketed, no empty label in a
/// host name. INVALID_ARGUMENT naming the line for anything else (a scheme, a path, userinfo,
/// ".example.com", ...). The one parser of the field: validateScimPage checks a page with it
/// before it is saved, scimOptionsFromPage reads it for a sync.
hostapi::Result<std::vector<AllowedHost>> parseAllowedHosts(std::string_view text);

/// "host" or "host:port" (IPv6 bracketed), as an admin would write the line.
std::string allowedHostText(const AllowedHost& h);

struct ScimOptions {
  std::vector<AllowedHost> allowedHosts;
  bool allowPlainHttp = false;
  std::string preferType = "photo";            // or "thumbnail"
  std::uint64_t maxBytes = 5u * 1024u * 1024u;  // the page's maxImageBytes: the cap while reading
  int concurrency = 8;                          // requests in flight at once for this directory
  int maxRedirects = 3;                         // redirects followed per request, all checked
  http::RetryPolicy retry{};                    // per request (429/5xx/resets)
  std::chrono::milliseconds requestTimeout{60000};
  /// Addresses the photo hosts may resolve to although they are internal (loopback, private,
  /// link-local, ...): the page's "Allowed photo address ranges", empty by default.
  std::vector<http::AddressRange> allowedAddressRanges;
  /// One deadline per photo across connect, headers and body of all its requests (the page's
  /// "Time limit per photo").
  std::chrono::milliseconds photoTimeout{30000};
};

/// Refuses allow-list lines whose host is an IP literal that photo URLs may not reach: an
/// address in a refused class (loopback, private, link-local, ...) not covered by
/// `allowedRanges`, or a numeric host in an inet_aton form ("2130706433", "127.1"), which must be
/// written as a dotted quad. INVALID_ARGUMENT naming the line's host.
hostapi::Status checkAllowedHostAddresses(const std::vector<AllowedHost>& hosts,
                                          const std::vector<http::AddressRange>& allowedRanges);

/// Reads ScimOptions from a scim page. INVALID_ARGUMENT naming the field when a value is wrong.
hostapi::Result<ScimOptions> scimOptionsFromPage(const hostapi::PageValues& page);

/// Every problem of `values` on the scim page `page`, before it is saved: the page's generic
/// checks, then the page as scimOptionsFromPage reads it (what a sync will run with), so a page
/// saved without errors is one the provider accepts. At most one error per field.
std::vector<hostapi::FieldError> validateScimPage(const hostapi::PageDescriptor& page,
                                                  const hostapi::PageValues& values);

/// The entry chosen from a `photos` attribute (its JSON text as the host stored it).
struct ScimPhotoChoice {
  std::string uri;   // the entry's value
  std::string type;  // as sent ("" when absent)
  bool primary = false;
};

/// Picks the entry: (1) the primary entry of the preferred type, (2) the first entry of the
/// preferred type, (3) the primary entry of any type, (4) the first entry. Entries whose value is
/// not a URI (no scheme) are ignored. nullopt when there is no usable entry (attribute absent,
/// null, [] or only unusable entries); INVALID_ARGUMENT when the text is not JSON or not a list
/// of objects.
hostapi::Result<std::optional<ScimPhotoChoice>> chooseScimPhoto(std::string_view photosJson,
                                                                std::string_view preferType);

/// A decoded RFC 2397 data: URI.
struct DataUri {
  std::string mediaType;  // as written; "text/plain;charset=US-ASCII" when omitted
  std::string bytes;
};

/// Decodes `data:[<mediatype>][;base64],<data>` (base64 or percent-encoded). INVALID_ARGUMENT
/// saying what is malformed; RESOURCE_EXHAUSTED when the decoded bytes exceed `maxBytes`.
hostapi::Result<DataUri> decodeDataUri(std::string_view uri, std::uint64_t maxBytes);

/// Whether PhotoSync may request `url` under `options`: http(s) only, https unless plain http is
/// allowed, no userinfo, host[:port] in the allowed list. PERMISSION_DENIED or INVALID_ARGUMENT
/// with the reason in words an admin can act on.
hostapi::Status checkScimPhotoUrl(std::string_view url, const ScimOptions& options);

/// Resolves a Location header against the URL it answered (absolute, scheme-relative,
/// absolute-path or relative references). An absolute result is not validated here: the caller
/// checks it with checkScimPhotoUrl like any photo URL. INVALID_ARGUMENT when it is empty.
hostapi::Result<std::string> resolveLocation(std::string_view base, std::string_view location);

/// The HTTP client options the SCIM provider needs: no redirect followed by the client itself.
http::ClientOptions scimClientOptions();

/// A SCIM provider over `transport` (for a real http::Client, one made with scimClientOptions()). The identifier of each PhotoRef is the user's `photos` JSON
/// text ("[]" for a user without one). `cancelled` may be empty.
std::unique_ptr<PhotoProvider> makeScimProvider(std::shared_ptr<http::Transport> transport,
                                                ScimOptions options, http::CancelCheck cancelled = {});

/// The provider for a scim page (its own HTTP client). Makes no request.
hostapi::Result<std::unique_ptr<PhotoProvider>> makeScimProviderFromPage(const ProviderConfig& config);

/// "Test connection" for a scim page. There is no SCIM endpoint to call (the host receives the
/// users; PhotoSync only reads their photo URLs). With the page's testPhotoUrl it fetches and
/// checks that photo (below); without it, it checks the settings and that each allowed photo host
/// answers HTTP (any status) at "/", and says so.
hostapi::ConnectionTestResult testScimConnection(const hostapi::PageValues& page);
hostapi::ConnectionTestResult testScimConnection(http::Transport& transport, const ScimOptions& options);
/// With `sample` (the page's "Photo to test": a provisioned user's photos value, or one URL), the
/// test proves the photo path: the entry chosen as a sync chooses it, the URL policy, HEAD (the
/// version a sync would see), GET and the image check, each a step with its detail; ok only when
/// the photo would be stored. An empty `sample` is the host-reachability test above.
hostapi::ConnectionTestResult testScimConnection(http::Transport& transport, const ScimOptions& options,
                                                 std::string_view sample, std::uint64_t maxPixels = 16777216);

}  // namespace photosync::providers
