// Since 1.3: a settings page may use its directory's connection instead of a copy of it.
//
// A page whose fields repeat the host directory's connection settings (tenant, client id,
// secret or certificate, endpoints) declares, in the manifest, which of its fields mirror which
// of the directory's connection keys (<field ... connection="tenantId">, docs/manifest.md). The
// host then offers the admin a choice per page and directory: "use this directory's connection"
// (the default for a new page) or "this page's own credentials". With the directory's, the host
// fills the mirrored fields of the PageValues it hands the plugin from the directory's current
// settings, read at that moment (secrets decrypted only there), so a secret is entered once and
// a rotation applies everywhere.
//
// Either way the host tells the plugin where the credentials came from, so that its error
// messages name the right copy ("the client secret of directory 'Contoso''s connection was
// refused ..." or "this page's own client secret ..."). That information travels inside
// PageValues::values under keys starting with '@', which no manifest field key can take (field
// keys start with a letter): neither PageValues nor any vtable of 1.0 changed, and a plugin built
// against 1.0 or 1.2 (whose manifest cannot declare mirrors) never sees such a key. Read it with
// connectionSourceOf(); only a host writes it (setConnectionSource).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hostapi/settings.h"

namespace hostapi {

/// One field of a page that mirrors one connection setting of the page's directory.
struct ConnectionMirror {
  std::string fieldKey;       // the page's field, e.g. "clientSecret"
  std::string connectionKey;  // the directory's connection setting, e.g. "clientSecret"
};

/// The mirrored fields of one page, in page order (from the manifest; empty when the page shares
/// nothing with its directory, e.g. SCIM).
struct PageConnection {
  std::string pageKey;
  std::vector<ConnectionMirror> mirrors;

  const ConnectionMirror* mirrorOf(std::string_view fieldKey) const {
    for (const auto& m : mirrors)
      if (m.fieldKey == fieldKey) return &m;
    return nullptr;
  }
};

/// Where the credentials of a PageValues came from.
enum class CredentialSource {
  kPage,       // the page's own saved values (a separate app registration, say)
  kDirectory,  // the host filled the mirrored fields from the directory's connection
};

/// "page", "directory".
inline const char* credentialSourceName(CredentialSource s) noexcept {
  return s == CredentialSource::kDirectory ? "directory" : "page";
}

struct ConnectionSource {
  CredentialSource source = CredentialSource::kPage;
  std::string directoryId;
  std::string directoryName;  // the admin's name for the directory, e.g. "Contoso"
};

/// Keys of PageValues::values reserved for the host (never a field key: those start with a letter).
inline constexpr const char* kReservedValuePrefix = "@";
inline constexpr const char* kConnectionSourceValue = "@hostapi.credentialSource";
inline constexpr const char* kConnectionDirectoryNameValue = "@hostapi.directoryName";

/// True for a key of PageValues::values that is the host's, not a field's.
inline bool isReservedValueKey(std::string_view key) noexcept {
  return !key.empty() && key.front() == '@';
}

/// Where `values`' credentials came from, as the host said; nullopt when the host said nothing
/// (a host older than 1.3, or a page without mirrored fields).
inline std::optional<ConnectionSource> connectionSourceOf(const PageValues& values) {
  auto source = values.get(kConnectionSourceValue);
  if (!source) return std::nullopt;
  ConnectionSource out;
  out.source = *source == "directory" ? CredentialSource::kDirectory : CredentialSource::kPage;
  out.directoryId = values.directoryId;
  out.directoryName = values.get(kConnectionDirectoryNameValue).value_or("");
  return out;
}

/// For hosts: records `source` in `values` (directoryId is PageValues::directoryId already).
inline void setConnectionSource(PageValues& values, const ConnectionSource& source) {
  values.values[kConnectionSourceValue] = credentialSourceName(source.source);
  values.values[kConnectionDirectoryNameValue] = source.directoryName;
}

/// Names a credential for an error message: "the client secret of directory 'Contoso''s
/// connection" when the host filled it from the directory, "this page's own client secret" when
/// the page holds its own, plain "the client secret" when the host said nothing. `what` is the
/// credential in words, e.g. "client secret", "service account key".
inline std::string credentialPhrase(const std::optional<ConnectionSource>& source, std::string_view what) {
  if (!source) return "the " + std::string(what);
  if (source->source == CredentialSource::kDirectory) {
    const std::string name = source->directoryName.empty() ? source->directoryId : source->directoryName;
    return "the " + std::string(what) + " of directory '" + name + "''s connection";
  }
  return "this page's own " + std::string(what);
}

}  // namespace hostapi
