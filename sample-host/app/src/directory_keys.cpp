// See directory_keys.h.
#include "directory_keys.h"

#include <cerrno>
#include <cstdlib>

#include "samplehost/net/url.h"

namespace samplehost::app {

namespace {
constexpr const char* kGuardHelp =
    "the share of active users one import may deactivate; above it they are held for `sample-host held`, "
    "0-100 (default 20; 100 turns the guard off)";
}  // namespace

const std::vector<SettingKey>& directorySettingKeys(hostapi::DirectoryKind kind) {
  static const std::vector<SettingKey> entra = {
      {"tenantId", false, true, "the directory (tenant) id"},
      {"clientId", false, true, "the app registration's application (client) id"},
      {"credentialType", false, false, "secret (default) or certificate"},
      {"clientSecret", true, false, "the client secret (credentialType secret)"},
      {"certificatePem", false, false, "the certificate, PEM (credentialType certificate)"},
      {"privateKeyPem", true, false, "the certificate's private key, PEM (credentialType certificate)"},
      {"authorityHost", false, false, "default https://login.microsoftonline.com"},
      {"graphEndpoint", false, false, "default https://graph.microsoft.com"},
      {"pageSize", false, false, "users per Graph page, 1-999 (default 999)"},
      {"deactivationGuardPercent", false, false, kGuardHelp},
  };
  static const std::vector<SettingKey> google = {
      {"serviceAccountKey", true, true, "the service account's JSON key file"},
      {"adminEmail", false, true, "the administrator the service account impersonates"},
      {"customer", false, false, "default my_customer"},
      {"apiEndpoint", false, false, "default https://admin.googleapis.com"},
      {"pageSize", false, false, "users per users.list page, 1-500 (default 500)"},
      {"deactivationGuardPercent", false, false, kGuardHelp},
  };
  static const std::vector<SettingKey> scim = {
      {"scimToken", true, true, "the bearer token the IdP presents to /scim/v2"},
      {"deactivationGuardPercent", false, false, kGuardHelp},
  };
  switch (kind) {
    case hostapi::DirectoryKind::kEntra: return entra;
    case hostapi::DirectoryKind::kGoogle: return google;
    case hostapi::DirectoryKind::kScim: return scim;
  }
  return scim;
}

namespace {

const SettingKey* find(hostapi::DirectoryKind kind, const std::string& key) {
  for (const auto& k : directorySettingKeys(kind))
    if (key == k.key) return &k;
  return nullptr;
}

hostapi::Status unknownKey(hostapi::DirectoryKind kind, const std::string& key) {
  std::string known;
  for (const auto& k : directorySettingKeys(kind)) known += (known.empty() ? "" : ", ") + std::string(k.key);
  return hostapi::invalidArgument("unknown " + std::string(hostapi::directoryKindName(kind)) + " setting \"" + key +
                                  "\"; known: " + known);
}

}  // namespace

hostapi::Result<std::vector<store::SettingChange>> directorySettingChanges(hostapi::DirectoryKind kind,
                                                                           const CommandLine& a) {
  std::vector<store::SettingChange> out;
  auto plain = [&](const std::string& key, const std::string& value) -> hostapi::Status {
    const SettingKey* k = find(kind, key);
    if (!k) return unknownKey(kind, key);
    if (k->secret) return hostapi::invalidArgument(key + " is a secret: give it with --secret " + key +
                                                   " (read without echo) or --secret-file " + key + "=PATH");
    out.push_back({key, value, false});
    return {};
  };
  for (const auto& s : allValues(a, "set")) {
    auto kv = splitAssignment(s);
    if (!kv) return kv.status();
    if (auto st = plain(kv->first, kv->second); !st) return st;
  }
  for (const auto& s : allValues(a, "set-file")) {
    auto kv = readKeyFile(s);
    if (!kv) return kv.status();
    if (auto st = plain(kv->first, kv->second); !st) return st;
  }
  for (const auto& key : allValues(a, "secret")) {
    const SettingKey* k = find(kind, key);
    if (!k) return unknownKey(kind, key);
    if (!k->secret) return hostapi::invalidArgument(key + " is not a secret: give it with --set " + key + "=VALUE");
    auto v = readSecret(key);
    if (!v) return v.status();
    out.push_back({key, *v, true});
  }
  for (const auto& s : allValues(a, "secret-file")) {
    auto kv = readKeyFile(s);
    if (!kv) return kv.status();
    const SettingKey* k = find(kind, kv->first);
    if (!k) return unknownKey(kind, kv->first);
    if (!k->secret)
      return hostapi::invalidArgument(kv->first + " is not a secret: give it with --set-file " + kv->first + "=PATH");
    out.push_back({kv->first, kv->second, true});
  }
  for (const auto& key : allValues(a, "unset")) {
    const SettingKey* k = find(kind, key);
    if (!k) return unknownKey(kind, key);
    out.push_back({key, std::nullopt, k->secret});
  }
  return out;
}

std::optional<std::string> wholeNumberProblem(const std::string& key, const std::string& value, long long min,
                                              long long max) {
  const std::string allowed = "allowed: a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  // Strictly digits (one leading '-'): no spaces, '+', fractions or exponents ("1e12").
  const std::size_t start = !value.empty() && value[0] == '-' ? 1 : 0;
  if (value.size() == start || value.find_first_not_of("0123456789", start) != std::string::npos)
    return key + ": \"" + value + "\" is not a whole number; " + allowed;
  errno = 0;
  char* end = nullptr;
  const long long n = std::strtoll(value.c_str(), &end, 10);
  if (errno == ERANGE || n < min || n > max) return key + ": " + value + " is out of range; " + allowed;
  return std::nullopt;
}

namespace {

std::optional<std::string> urlProblem(const std::string& key, const std::string& value) {
  const std::string allowed = "allowed: an absolute https URL (plain http only to 127.0.0.1, ::1 or localhost)";
  auto url = net::parseUrl(value);
  if (!url) return key + ": \"" + value + "\" is not an absolute URL (" + url.status().message() + "); " + allowed;
  if (url->scheme != "https" && !net::isLoopbackHost(url->host))
    return key + ": \"" + value + "\" uses plain http to a host that is not this machine; " + allowed;
  return std::nullopt;
}

std::optional<std::string> settingProblem(hostapi::DirectoryKind kind, const std::string& key, const std::string& v) {
  using K = hostapi::DirectoryKind;
  if (key == "pageSize") return wholeNumberProblem(key, v, 1, kind == K::kGoogle ? 500 : 999);
  if (key == store::kDeactivationGuardSetting) return wholeNumberProblem(key, v, 0, 100);
  if (key == "authorityHost" || key == "graphEndpoint" || key == "apiEndpoint") return urlProblem(key, v);
  if (key == "credentialType" && v != "secret" && v != "certificate")
    return key + ": \"" + v + "\" is not a credential type; allowed: secret or certificate";
  if (key == "adminEmail" && (v.find('@') == std::string::npos || v.front() == '@' || v.back() == '@'))
    return key + ": \"" + v + "\" is not an email address; allowed: the administrator's primary email";
  if ((key == "tenantId" || key == "clientId" || key == "customer" || key == "scimToken") && v.empty())
    return key + ": must not be empty";
  return std::nullopt;
}

}  // namespace

std::vector<std::string> directorySettingProblems(hostapi::DirectoryKind kind,
                                                  const std::vector<store::SettingChange>& changes) {
  std::vector<std::string> out;
  for (const auto& c : changes)
    if (c.value)
      if (auto p = settingProblem(kind, c.key, *c.value)) out.push_back(*p);
  return out;
}

std::vector<std::string> missingDirectorySettings(hostapi::DirectoryKind kind, const store::Store& st,
                                                  const std::string& directoryId) {
  std::vector<std::string> missing;
  auto saved = st.directorySettings(directoryId);
  if (!saved) return missing;
  auto has = [&](const std::string& key) { return saved->values.count(key) || saved->secrets.count(key); };
  for (const auto& k : directorySettingKeys(kind))
    if (k.required && !has(k.key)) missing.push_back(k.key);
  if (kind == hostapi::DirectoryKind::kEntra) {
    auto ct = saved->values.find("credentialType");
    bool cert = ct != saved->values.end() && ct->second == "certificate";
    if (cert) {
      if (!has("certificatePem")) missing.push_back("certificatePem");
      if (!has("privateKeyPem")) missing.push_back("privateKeyPem");
    } else if (!has("clientSecret")) {
      missing.push_back("clientSecret");
    }
  }
  return missing;
}

}  // namespace samplehost::app
