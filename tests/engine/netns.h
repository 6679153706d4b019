// A network namespace with only loopback and a mount namespace whose /etc/hosts is the test's
// own, for the SSRF tests: whatever the code under test does, nothing leaves the machine, and
// names resolve to what the test says. Call before any thread exists (CLONE_NEWNS needs an
// unshared fs); child processes inherit both namespaces.
#pragma once

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace photosync::testing {

/// "" when done; otherwise why not (the tests then skip with it). `extraLoopbackAddresses` are
/// added to lo ("10.0.0.1/32"), so that listeners can stand in for internal services there.
inline std::string enterLoopbackOnlyNamespaces(const std::string& hosts,
                                               const std::vector<std::string>& extraLoopbackAddresses = {}) {
  if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0)
    return std::string("unshare(CLONE_NEWNET | CLONE_NEWNS) is not permitted here: ") + std::strerror(errno);
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return std::string("cannot make the mounts private: ") + std::strerror(errno);
  char path[] = "/tmp/photosync-ssrf-hosts-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return std::string("cannot write a hosts file: ") + std::strerror(errno);
  const bool wrote = write(fd, hosts.data(), hosts.size()) == static_cast<ssize_t>(hosts.size());
  close(fd);
  if (!wrote || mount(path, "/etc/hosts", nullptr, MS_BIND, nullptr) != 0)
    return std::string("cannot bind-mount the hosts file over /etc/hosts: ") + std::strerror(errno);
  unlink(path);  // the mount keeps it
  const int s = socket(AF_INET, SOCK_DGRAM, 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) != 0) return std::string("cannot read lo's flags: ") + std::strerror(errno);
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) return std::string("cannot bring lo up: ") + std::strerror(errno);
  close(s);
  for (const auto& a : extraLoopbackAddresses) {
    const std::string cmd = "ip addr add " + a + " dev lo";
    if (std::system(cmd.c_str()) != 0) return "cannot add " + a + " to lo (" + cmd + ")";
  }
  return {};
}

}  // namespace photosync::testing
