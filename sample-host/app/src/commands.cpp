// The one table of sample-host's commands. To add a command group: write cmd_NAME.cpp with a
// function returning its Command, declare it in commands.h, list it here and in CMakeLists.txt.
#include "commands.h"

namespace samplehost::app {

const std::vector<Command>& allCommands() {
  static const std::vector<Command> commands = {
      pluginsCommand(),
#ifdef SAMPLEHOST_HAS_SYNC
      directoryCommand(), settingsCommand(), syncCommand(), usersCommand(), avatarsCommand(),
      runsCommand(), heldCommand(), serveCommand(), adminCommand(), clusterCommand(),
#endif
      securityCommand(),
  };
  return commands;
}

}  // namespace samplehost::app
