// Runs a program to completion and captures its exit code, stdout and stderr, for tests that
// drive the real sample-host binary.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace loadertest {

struct ProcessResult {
  int exitCode = -1;  // -1 when it did not exit normally
  std::string out;
  std::string err;
};

inline std::string shellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') q += "'\\''";
    else q += c;
  }
  return q + "'";
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Runs `program args...` with its output captured in files under `scratch`.
inline ProcessResult runProcess(const std::string& program, const std::vector<std::string>& args,
                                const std::filesystem::path& scratch) {
  const auto outFile = scratch / "stdout.txt", errFile = scratch / "stderr.txt";
  std::string cmd = shellQuote(program);
  for (const auto& a : args) cmd += " " + shellQuote(a);
  cmd += " >" + shellQuote(outFile.string()) + " 2>" + shellQuote(errFile.string()) + " </dev/null";
  const int status = std::system(cmd.c_str());
  ProcessResult r;
  if (status != -1 && WIFEXITED(status)) r.exitCode = WEXITSTATUS(status);
  r.out = slurp(outFile);
  r.err = slurp(errFile);
  return r;
}

}  // namespace loadertest
