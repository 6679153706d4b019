// One function per command group, each defined in its own cmd_*.cpp and listed in the table in
// commands.cpp.
#pragma once

#include "cli.h"

namespace samplehost::app {

Command pluginsCommand();  // cmd_plugins.cpp
Command directoryCommand();  // cmd_directory.cpp
Command settingsCommand();   // cmd_settings.cpp
Command syncCommand();       // cmd_sync.cpp
Command usersCommand();      // cmd_users.cpp
Command avatarsCommand();    // cmd_avatars.cpp
Command runsCommand();       // cmd_runs.cpp
Command serveCommand();      // cmd_serve.cpp
Command heldCommand();       // cmd_held.cpp
Command adminCommand();      // cmd_admin.cpp
Command securityCommand();   // cmd_security.cpp
Command clusterCommand();    // cmd_cluster.cpp

}  // namespace samplehost::app
