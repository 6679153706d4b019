#include "photosync/providers/identifier.h"

#include <cpprest/json.h>

#include "photosync/common/text.h"

namespace photosync::providers {
namespace {

bool usable(const std::string& s) {
  if (s.empty() || s.size() > 1024) return false;
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;  // control characters never name a real user
  return true;
}

// Spaces only: a tab or line break left in stays and makes the value unusable (see usable()).
std::string nonEmpty(const std::string& s) { return std::string(photosync::trim(s, " ")); }

}  // namespace

std::optional<std::string> attributeString(const hostapi::User& user, const std::string& name) {
  auto it = user.attributes.find(name);
  if (it == user.attributes.end()) return std::nullopt;
  const std::string& raw = it->second;
  if (raw.empty()) return std::nullopt;
  try {
    auto v = web::json::value::parse(raw);
    if (!v.is_string()) return std::nullopt;
    auto s = nonEmpty(v.as_string());
    if (!usable(s)) return std::nullopt;
    return s;
  } catch (...) {
    // A host that stored the plain value instead of JSON text: accept it unless it looks like JSON.
    const char c = raw.front();
    if (c == '"' || c == '{' || c == '[' || raw == "null") return std::nullopt;
    auto s = nonEmpty(raw);
    if (!usable(s)) return std::nullopt;
    return s;
  }
}

hostapi::Result<std::string> userIdentifier(const hostapi::PageValues& page,
                                            const hostapi::User& user) {
  auto fromField = [](const std::string& s) -> std::optional<std::string> {
    auto t = nonEmpty(s);
    if (!usable(t)) return std::nullopt;
    return t;
  };
  auto none = [](const std::string& what) {
    return hostapi::invalidArgument("no usable identifier: " + what);
  };
  switch (user.directoryKind) {
    case hostapi::DirectoryKind::kEntra: {
      const std::string by = page.get("matchBy").value_or("id");
      if (by == "id") {
        if (auto v = fromField(user.externalId)) return *v;
        if (auto v = attributeString(user, "id")) return *v;
        return none("the user has no Entra object id (matching by id)");
      }
      if (by == "userPrincipalName") {
        if (auto v = attributeString(user, "userPrincipalName")) return *v;
        return none("the user has no userPrincipalName (matching by userPrincipalName)");
      }
      if (by == "mail") {
        if (auto v = attributeString(user, "mail")) return *v;
        if (auto v = fromField(user.email)) return *v;
        return none("the user has no mail address (matching by mail)");
      }
      return none("the page's matchBy '" + by + "' is not id, userPrincipalName or mail");
    }
    case hostapi::DirectoryKind::kGoogle: {
      const std::string by = page.get("matchBy").value_or("primaryEmail");
      if (by == "primaryEmail") {
        if (auto v = attributeString(user, "primaryEmail")) return *v;
        if (auto v = fromField(user.email)) return *v;
        return none("the user has no primary email (matching by primaryEmail)");
      }
      if (by == "id") {
        if (auto v = fromField(user.externalId)) return *v;
        if (auto v = attributeString(user, "id")) return *v;
        return none("the user has no Google user id (matching by id)");
      }
      return none("the page's matchBy '" + by + "' is not primaryEmail or id");
    }
    case hostapi::DirectoryKind::kScim: {
      // A SCIM user is known by construction (the IdP provisioned it); its `photos` attribute is
      // the IdP's word on the photo. Absent, null or empty means the IdP has no photo for the
      // user (a PUT without photos or a PATCH remove took it away): "[]" tells the provider so,
      // and the engine reverts only an avatar PhotoSync set, behind the mass-revert guard.
      auto it = user.attributes.find("photos");
      if (it == user.attributes.end() || it->second.empty() || it->second == "null") return std::string("[]");
      return it->second;
    }
  }
  return none("unknown directory kind");
}

}  // namespace photosync::providers
