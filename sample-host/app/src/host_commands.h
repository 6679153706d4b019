// The sample host's admin commands (directories, settings, sync, users, avatars, runs, the SCIM
// endpoint). Each takes the global data directory and the arguments after its own name, writes
// results to stdout and messages to stderr, and returns the process exit code:
//   0 ok; 1 usage or a failure to start; sync only: 2 completed with errors, 3 cancelled.
// The dispatcher (main.cpp) registers them by name.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace samplehost::app {

using Args = std::vector<std::string>;

int runDirectoryCommand(const std::filesystem::path& dataDir, const Args& args);
int runSettingsCommand(const std::filesystem::path& dataDir, const Args& args);
int runSyncCommand(const std::filesystem::path& dataDir, const Args& args);
int runUsersCommand(const std::filesystem::path& dataDir, const Args& args);
int runAvatarsCommand(const std::filesystem::path& dataDir, const Args& args);
int runRunsCommand(const std::filesystem::path& dataDir, const Args& args);
int runServeCommand(const std::filesystem::path& dataDir, const Args& args);

}  // namespace samplehost::app
