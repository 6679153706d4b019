// Host-api 1.3: a sign-in failure names which copy of the credentials was used, the directory's
// connection or the page's own (hostapi/connection.h), so that an admin who rotated a secret in
// one place knows which place is wrong. A decorator of the token provider, so that the sync and
// "Test connection" say the same.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "hostapi/connection.h"
#include "hostapi/settings.h"
#include "photosync/auth/token_provider.h"

namespace photosync::providers {

class NamedTokenProvider final : public auth::TokenProvider {
 public:
  /// `credential`: e.g. "the client secret of directory 'Contoso''s connection"; `signInRefused`:
  /// how the IdP's refusals begin ("Entra ID refused the sign-in"), rewritten as "<credential>
  /// was refused by <idp>"; `idp`: e.g. "Entra ID".
  NamedTokenProvider(std::shared_ptr<auth::TokenProvider> inner, std::string credential, std::string signInRefused,
                     std::string idp)
      : inner_(std::move(inner)),
        credential_(std::move(credential)),
        signInRefused_(std::move(signInRefused)),
        idp_(std::move(idp)) {}

  hostapi::Result<std::string> accessToken() override {
    auto t = inner_->accessToken();
    if (t.isOk()) return t;
    const hostapi::Status& st = t.status();
    // Outages and throttling are not the credentials' fault.
    switch (st.code()) {
      case hostapi::StatusCode::kUnavailable:
      case hostapi::StatusCode::kCancelled:
      case hostapi::StatusCode::kDeadlineExceeded:
      case hostapi::StatusCode::kResourceExhausted:
        return st;
      default:
        break;
    }
    const std::string& m = st.message();
    if (m.rfind(signInRefused_, 0) == 0)
      return hostapi::Status(st.code(), credential_ + " was refused by " + idp_ + m.substr(signInRefused_.size()));
    return hostapi::Status(st.code(), credential_ + " could not be used: " + m);
  }
  void invalidate(std::string_view rejectedToken) override { inner_->invalidate(rejectedToken); }

 private:
  std::shared_ptr<auth::TokenProvider> inner_;
  std::string credential_, signInRefused_, idp_;
};

/// `tokens` wrapped to name its credentials when the host said where they came from; `tokens`
/// itself when it did not (a host older than 1.3).
inline std::shared_ptr<auth::TokenProvider> nameCredentials(std::shared_ptr<auth::TokenProvider> tokens,
                                                            const hostapi::PageValues& page, std::string_view what,
                                                            std::string signInRefused, std::string idp) {
  auto source = hostapi::connectionSourceOf(page);
  if (!source) return tokens;
  return std::make_shared<NamedTokenProvider>(std::move(tokens), hostapi::credentialPhrase(source, what),
                                              std::move(signInRefused), std::move(idp));
}

}  // namespace photosync::providers
