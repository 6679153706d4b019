// photosync::providers — how a host user is found at the IdP: the page's "match users by" setting
// applied to what the host imported (externalId, email, raw IdP attributes as JSON text). Shared by
// every provider kind so the engine can skip users without a usable identifier before any request.
#pragma once

#include <optional>
#include <string>

#include "hostapi/settings.h"
#include "hostapi/status.h"
#include "hostapi/user.h"

namespace photosync::providers {

/// The attribute's value when it is a JSON string (or, leniently, plain text that is not JSON);
/// nullopt when absent, empty, null or not a string. Never throws.
std::optional<std::string> attributeString(const hostapi::User& user, const std::string& name);

/// The identifier per the page's `matchBy` for the user's directory kind:
///   entra: id (externalId, else attribute id) | userPrincipalName (attribute) | mail (attribute,
///          else email); default id.
///   google: primaryEmail (attribute, else email) | id (externalId, else attribute id).
///   scim: the user's SCIM `photos` attribute text (the provider picks the URL); "[]" when the
///         attribute is absent or null, which the provider answers as "no photo".
/// INVALID_ARGUMENT "no usable identifier: ..." naming what is missing.
hostapi::Result<std::string> userIdentifier(const hostapi::PageValues& page,
                                            const hostapi::User& user);

}  // namespace photosync::providers
