// Test support for host-level end-to-end tests: run the real `sample-host` binary (and idp-sim)
// as child processes, with captured output, optional stdin, and kill/wait control.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace e2e {

struct RunResult {
  int exitCode = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

/// Runs `argv` to completion, feeding `stdinText`. Extra environment variables in `env`.
RunResult run(const std::vector<std::string>& argv, const std::string& stdinText = {},
              const std::map<std::string, std::string>& env = {});

/// A child process left running: stdout is read line by line; stderr goes to a file.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& stderrPath = "/dev/null");
  ~Child();  // SIGKILLs and reaps if still running
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  /// The next line of stdout ("" on EOF).
  std::string readLine();
  /// Everything remaining on stdout until EOF.
  std::string readAll();
  void kill(int sig);
  /// Waits for exit; returns the exit code, or -signal.
  int wait();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int outFd_ = -1;
  std::string buffer_;
  bool reaped_ = false;
  int status_ = 0;
};

/// A fresh temporary directory, removed with its content at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string readFile(const std::string& path);
void writeFile(const std::string& path, const std::string& content);

}  // namespace e2e
