// sample-host: the PhotoSync sample host's command line. Everything is in runMain (cli.cpp) and
// the commands it dispatches to (commands.cpp), so that tests can drive the same code.
#include <iostream>
#include <string>
#include <vector>

#include "cli.h"
#include "process_hardening.h"

int main(int argc, char** argv) {
  // Before any secret is read: a core of this process would hold them all.
  samplehost::app::hardenProcess();
  std::vector<std::string> args(argv + 1, argv + argc);
  const int code = samplehost::app::runMain(args, std::cout, std::cerr);
  std::cout.flush();
  return code;
}
