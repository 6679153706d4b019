// Parsing of the IdPs' user-list pages into the host's import records. Pure functions over the
// response text: no I/O, so that hostile or odd pages are tested without a server.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hostapi/status.h"

namespace samplehost::sync {

/// One user as read from an IdP (or from the SCIM endpoint's provisioning), before the store
/// gives it a host id.
struct ImportedUser {
  std::string externalId;   // Entra object id, Google user id, SCIM id
  std::string username;     // userPrincipalName, primaryEmail, SCIM userName
  std::string email;
  std::string displayName;
  bool active = true;
  std::map<std::string, std::string> attributes;  // values as JSON text (hostapi::User)
};

struct ImportedPage {
  std::vector<ImportedUser> users;
  std::uint64_t skipped = 0;  // entries without an id or a username
  std::optional<std::string> next;  // @odata.nextLink (Entra) or nextPageToken (Google)
};

/// A Graph `/v1.0/users` page: `value[]` with id, userPrincipalName, mail, displayName,
/// accountEnabled; `@odata.nextLink`.
hostapi::Result<ImportedPage> parseGraphUsersPage(const std::string& body);

/// A Directory API `users.list` page: `users[]` with id, primaryEmail, name.fullName, suspended,
/// archived, thumbnailPhotoEtag, thumbnailPhotoUrl; `nextPageToken`. A page without `users` is
/// an empty page (Google omits the field when there are none).
hostapi::Result<ImportedPage> parseGoogleUsersPage(const std::string& body);

}  // namespace samplehost::sync
