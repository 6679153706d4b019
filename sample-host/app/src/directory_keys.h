// The connection settings of each directory kind (what the host's own sync reads), which of them
// are secrets, and how `--set`, `--set-file`, `--secret`, `--secret-file` become store changes.
#pragma once

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
/// Required settings not yet saved (credentialType-aware for Entra).
std::vector<std::string> missingDirectorySettings(hostapi::DirectoryKind kind, const store::Store& st,
                                                  const std::string& directoryId);

}  // namespace samplehost::app
