// The user as a host hands it to a plugin: what the host's own user sync imported.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace hostapi {

/// The kind of identity provider a host directory syncs from.
enum class DirectoryKind { kEntra, kGoogle, kScim };

/// "entra", "google", "scim".
inline const char* directoryKindName(DirectoryKind k) noexcept {
  switch (k) {
    case DirectoryKind::kEntra: return "entra";
    case DirectoryKind::kGoogle: return "google";
    case DirectoryKind::kScim: return "scim";
  }
  return "unknown";
}

/// Parses "entra" / "google" / "scim"; nullopt for anything else.
inline std::optional<DirectoryKind> parseDirectoryKind(const std::string& s) {
  if (s == "entra") return DirectoryKind::kEntra;
  if (s == "google") return DirectoryKind::kGoogle;
  if (s == "scim") return DirectoryKind::kScim;
  return std::nullopt;
}

/// One host directory (a configured connection to one IdP tenant).
struct DirectoryInfo {
  std::string id;    // stable host id of the directory
  std::string name;  // the admin's name for it, e.g. "Contoso Entra"
  DirectoryKind kind = DirectoryKind::kEntra;
};

/// A host user. `id` is the host's stable id, the key of every per-user service call.
/// `externalId` is the IdP's id for the user (Entra object id, Google user id, SCIM externalId).
/// `attributes` holds raw IdP attributes by name, each value as the JSON text the IdP sent
/// (e.g. "userPrincipalName" -> "\"ada@contoso.com\"", SCIM "photos" -> "[{...}]"); a plugin
/// parses what it needs and must treat every value as untrusted input.
struct User {
  std::string id;
  std::string username;
  std::string email;
  std::string displayName;
  bool active = true;
  std::string directoryId;
  DirectoryKind directoryKind = DirectoryKind::kEntra;
  std::string externalId;
  std::map<std::string, std::string> attributes;
};

}  // namespace hostapi
