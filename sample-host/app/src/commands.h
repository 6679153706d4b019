// One function per command group, each defined in its own cmd_*.cpp and listed in the table in
// commands.cpp.
#pragma once

#include "cli.h"

namespace samplehost::app {

Command pluginsCommand();  // cmd_plugins.cpp

}  // namespace samplehost::app
