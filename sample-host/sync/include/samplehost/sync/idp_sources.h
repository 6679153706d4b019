// The directory sources that read users from an IdP over HTTP, through the host's HTTP client
// (samplehost::net) and its own sign-in (idp_sign_in.h): Entra (Graph /v1.0/users, every
// @odata.nextLink) and Google (Admin SDK users.list, every pageToken). A directory's connection settings come as PageValues
// (plain values + secrets), with the same field keys as the PhotoSync pages:
//   entra:  tenantId, clientId, credentialType (secret|certificate), clientSecret*,
//           certificatePem, privateKeyPem*, authorityHost, graphEndpoint, pageSize (1-999, 999)
//   google: serviceAccountKey*, adminEmail, customer (my_customer), apiEndpoint,
//           pageSize (1-500, 500)                                          (* = secret)
#pragma once

#include <memory>

#include "hostapi/settings.h"
#include "hostapi/status.h"
#include "samplehost/net/http_client.h"
#include "samplehost/net/retry.h"
#include "samplehost/sync/user_sync.h"

namespace samplehost::sync {

struct SourceDeps {
  std::shared_ptr<net::Transport> transport;  // required
  net::RetryPolicy retry{};  // for the listing and the sign-in
};

/// INVALID_ARGUMENT naming the missing/invalid setting (never a secret's value).
hostapi::Result<std::unique_ptr<DirectorySource>> makeEntraSource(const hostapi::PageValues& settings,
                                                                  SourceDeps deps);
hostapi::Result<std::unique_ptr<DirectorySource>> makeGoogleSource(const hostapi::PageValues& settings,
                                                                   SourceDeps deps);

/// The scope the host's Google import asks for.
inline constexpr const char* kGoogleUserReadScope =
    "https://www.googleapis.com/auth/admin.directory.user.readonly";

}  // namespace samplehost::sync
