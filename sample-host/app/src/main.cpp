// sample-host: the PhotoSync sample host's command line. Everything is in runMain (cli.cpp) and
// the commands it dispatches to (commands.cpp), so that tests can drive the same code.
#include <iostream>
#include <string>
#include <vector>

#include "cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const int code = samplehost::app::runMain(args, std::cout, std::cerr);
  std::cout.flush();
  return code;
}
