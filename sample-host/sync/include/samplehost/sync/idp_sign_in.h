// The sample host's own app-only sign-in at the two IdPs it imports users from, and the cache of
// the bearer token it gets:
//   Entra ID: OAuth 2.0 client credentials at {authorityHost}/{tenant}/oauth2/v2.0/token, with a
//             client secret or a certificate (a client_assertion JWT signed RS256, x5t/x5t#S256);
//   Google:   a service-account assertion (JWT, RS256) impersonating an admin, exchanged at the
//             key's token_uri (grant_type jwt-bearer).
// Token requests go through net::sendWithRetry (429/5xx/resets). A refused sign-in comes back
// with the IdP's own error code and first line of its description, never with a secret.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "hostapi/status.h"
#include "samplehost/net/http_client.h"
#include "samplehost/net/retry.h"

namespace samplehost::sync {

using WallClock = std::function<std::chrono::system_clock::time_point()>;

/// A bearer token held for as long as it is good: fetched when none is held or when less than
/// min(5 minutes, a tenth of its lifetime) is left. If that early refresh fails, the old token
/// is used while it lasts. drop() is for "refresh once on 401".
class AccessTokens {
 public:
  struct Issued {
    std::string value;
    std::chrono::system_clock::time_point expiresAt;
  };
  using Fetch = std::function<hostapi::Result<Issued>(const net::CancelCheck&)>;

  explicit AccessTokens(Fetch fetch, WallClock now = {});
  /// The token without "Bearer ".
  hostapi::Result<std::string> get(const net::CancelCheck& cancelled = {});
  /// Forgets `rejected` if it is still the token held.
  void drop(const std::string& rejected);
  /// Sign-ins attempted so far.
  std::uint64_t fetches() const;

 private:
  std::chrono::system_clock::time_point now() const;

  Fetch fetch_;
  WallClock now_;
  mutable std::mutex mutex_;  // held across a fetch: one sign-in at a time
  std::optional<Issued> held_;
  std::chrono::system_clock::time_point refreshAt_{};
  std::uint64_t fetches_ = 0;
};

struct SignInDeps {
  std::shared_ptr<net::Transport> transport;  // required
  net::RetryPolicy retry{};
  WallClock now;  // empty: the system clock
  std::chrono::milliseconds timeout{30000};
};

/// The app's settings, secrets included; they live as long as the sign-in that refreshes with
/// them and are overwritten (OPENSSL_cleanse) when an EntraApp is destroyed.
struct EntraApp {
  EntraApp() = default;
  EntraApp(const EntraApp&) = default;
  EntraApp(EntraApp&&) noexcept = default;
  EntraApp& operator=(const EntraApp&) = default;
  EntraApp& operator=(EntraApp&&) noexcept = default;
  ~EntraApp();

  std::string authorityHost = "https://login.microsoftonline.com";
  std::string tenantId;
  std::string clientId;
  std::string graphEndpoint = "https://graph.microsoft.com";  // scope: graphEndpoint + "/.default"
  std::string clientSecret;    // the secret flow, or:
  std::string certificatePem;  // the certificate flow, with
  std::string privateKeyPem;
};

/// INVALID_ARGUMENT naming the setting when the app's settings cannot work (ids, https
/// endpoints, a secret or a key that matches the certificate); no request is made for that.
hostapi::Result<std::unique_ptr<AccessTokens>> entraAppTokens(EntraApp app, SignInDeps deps);

/// The key file is overwritten (OPENSSL_cleanse) when a GoogleServiceAccount is destroyed.
struct GoogleServiceAccount {
  GoogleServiceAccount() = default;
  GoogleServiceAccount(const GoogleServiceAccount&) = default;
  GoogleServiceAccount(GoogleServiceAccount&&) noexcept = default;
  GoogleServiceAccount& operator=(const GoogleServiceAccount&) = default;
  GoogleServiceAccount& operator=(GoogleServiceAccount&&) noexcept = default;
  ~GoogleServiceAccount();

  std::string keyJson;     // the service account's JSON key file
  std::string adminEmail;  // the admin to impersonate (domain-wide delegation)
  std::string scope;
};

/// INVALID_ARGUMENT naming the missing or wrong field of the key file or setting.
hostapi::Result<std::unique_ptr<AccessTokens>> googleServiceAccountTokens(GoogleServiceAccount account,
                                                                          SignInDeps deps);

}  // namespace samplehost::sync
