// The connection settings of each directory kind (what the host's own sync reads), which of them
// are secrets, and how `--set`, `--set-file`, `--secret`, `--secret-file` become store changes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli_support.h"
#include "hostapi/user.h"
#include "samplehost/store/store.h"

namespace samplehost::app {

struct SettingKey {
  const char* key;
  bool secret;
  bool required;
  const char* help;
};

const std::vector<SettingKey>& directorySettingKeys(hostapi::DirectoryKind kind);

/// Turns the setting options of `a` into changes, checking every key is known for `kind` and
/// that secrets come only through --secret/--secret-file. `--unset key` erases.
hostapi::Result<std::vector<store::SettingChange>> directorySettingChanges(hostapi::DirectoryKind kind,
                                                                           const CommandLine& a);
/// Checks the values `changes` would save (erasures always pass), every field on its own: whole
/// numbers parsed strictly and within their range, endpoints absolute https URLs (plain http only
/// to 127.0.0.1, ::1 or localhost, as the import allows), fixed choices. One line per refused
/// field naming the key, the value and what is allowed; empty when all pass.
std::vector<std::string> directorySettingProblems(hostapi::DirectoryKind kind,
                                                  const std::vector<store::SettingChange>& changes);

/// The same checks for a whole number setting: "KEY: ..." when `value` is not a whole number in
/// [min, max].
std::optional<std::string> wholeNumberProblem(const std::string& key, const std::string& value, long long min,
                                              long long max);

/// Required settings not yet saved (credentialType-aware for Entra).
std::vector<std::string> missingDirectorySettings(hostapi::DirectoryKind kind, const store::Store& st,
                                                  const std::string& directoryId);

}  // namespace samplehost::app
