// See contract.h.
#include "hostapi/host/contract.h"

#include <array>
#include <fstream>

#include "hostapi/version.h"

namespace hostapi::host {
namespace {

/// "NAME/MAJOR" split at the last '/'; the parser has checked the shape of a manifest's id.
struct InterfaceParts {
  std::string_view name;
  std::string_view major;
};
InterfaceParts splitInterfaceId(std::string_view id) {
  const auto slash = id.rfind('/');
  if (slash == std::string_view::npos) return {id, {}};
  return {id.substr(0, slash), id.substr(slash + 1)};
}

constexpr bool interfaceMajorIsApiMajor() {
  const std::string_view id = kPluginInterfaceId;
  const std::string_view major = id.substr(id.rfind('/') + 1);
  unsigned value = 0;
  for (char c : major) value = value * 10 + static_cast<unsigned>(c - '0');
  return value == kApiVersionMajor;
}
static_assert(interfaceMajorIsApiMajor(),
              "kPluginInterfaceId's MAJOR must be HOSTAPI_VERSION_MAJOR: a new Plugin interface "
              "is a new major");

}  // namespace

ApiVersion hostApiVersion() noexcept { return {kApiVersionMajor, kApiVersionMinor}; }

std::string versionText(ApiVersion v) {
  return std::to_string(v.major) + "." + std::to_string(v.minor);
}

std::string hostApiVersionText() { return versionText(hostApiVersion()); }

bool manifestAdmitsHost(const Manifest& manifest, ApiVersion host) {
  return manifest.apiMin <= host && host.major <= manifest.apiMax.major;
}

Status checkManifestRange(const Manifest& manifest, const std::filesystem::path& manifestPath) {
  if (manifestAdmitsHost(manifest, hostApiVersion())) return Status::ok();
  return failedPrecondition(manifestPath.string() + ": plugin '" + manifest.key +
                            "' supports host API " + versionText(manifest.apiMin) + " to " +
                            versionText(manifest.apiMax) + ", this host has " +
                            hostApiVersionText());
}

Status checkInterfaceId(const Manifest& manifest, const std::filesystem::path& manifestPath,
                        std::string_view hostInterfaceId) {
  if (manifest.interfaceId == hostInterfaceId) return Status::ok();
  const InterfaceParts theirs = splitInterfaceId(manifest.interfaceId);
  const InterfaceParts ours = splitInterfaceId(hostInterfaceId);
  const std::string why = theirs.name != ours.name
                              ? "another kind of plugin"
                              : "major " + std::string(theirs.major) + " of the interface, this "
                                "host implements major " + std::string(ours.major);
  return failedPrecondition(manifestPath.string() + ": plugin '" + manifest.key +
                            "' implements interface \"" + manifest.interfaceId + "\" (" + why +
                            "); this host loads \"" + std::string(hostInterfaceId) + "\"");
}

Status checkModuleApiVersion(ApiVersion module, const std::string& key,
                             const std::filesystem::path& modulePath) {
  if (isCompatible(kApiVersionMajor, kApiVersionMinor, module.major, module.minor))
    return Status::ok();
  return failedPrecondition(modulePath.string() + ": Wrong API version on plugin '" + key +
                            "'. Got version " + versionText(module) +
                            ", supported version is " + hostApiVersionText() + ".");
}

Status checkSharedObject(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return notFound(path.string() + ": cannot read the module file");
  // e_ident (16 bytes) then e_type (2 bytes, in the byte order e_ident[EI_DATA] says).
  std::array<unsigned char, 18> header{};
  in.read(reinterpret_cast<char*>(header.data()), static_cast<std::streamsize>(header.size()));
  const auto got = static_cast<std::size_t>(in.gcount());
  if (got < 4 || header[0] != 0x7f || header[1] != 'E' || header[2] != 'L' || header[3] != 'F')
    return invalidArgument(path.string() + ": not a shared object (no ELF header)");
  if (got < header.size())
    return invalidArgument(path.string() + ": not a shared object (truncated ELF header)");
  constexpr unsigned char kLittleEndian = 1, kBigEndian = 2;
  unsigned type = 0;
  if (header[5] == kLittleEndian)
    type = header[16] | (static_cast<unsigned>(header[17]) << 8);
  else if (header[5] == kBigEndian)
    type = header[17] | (static_cast<unsigned>(header[16]) << 8);
  else
    return invalidArgument(path.string() + ": not a shared object (bad ELF byte order)");
  constexpr unsigned kEtDyn = 3;
  if (type != kEtDyn)
    return invalidArgument(path.string() + ": not a shared object (ELF type " +
                           std::to_string(type) + ", expected ET_DYN)");
  return Status::ok();
}

Status checkHostServices(const HostServices& s) {
  const char* missing = s.avatars == nullptr    ? "avatars"
                        : s.state == nullptr    ? "state"
                        : s.settings == nullptr ? "settings"
                        : s.logger == nullptr   ? "logger"
                        : s.clock == nullptr    ? "clock"
                                                : nullptr;
  if (missing == nullptr) return Status::ok();
  return invalidArgument(std::string("HostServices::") + missing +
                         " is null; a plugin may rely on every service being set");
}

Status checkSyncContext(const SyncContext& ctx) {
  if (ctx.progress == nullptr)
    return invalidArgument("SyncContext::progress of run '" + ctx.runId +
                           "' is null; it must be set during a run");
  if (ctx.cancellation == nullptr)
    return invalidArgument("SyncContext::cancellation of run '" + ctx.runId +
                           "' is null; it must be set during a run");
  return Status::ok();
}

}  // namespace hostapi::host
