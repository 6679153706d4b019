// See contract.h.
#include "hostapi/host/contract.h"

#include <elf.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <vector>

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

// The machine this host runs on, as an ELF e_machine and byte order: a module must match both.
#if defined(__x86_64__)
constexpr unsigned kHostMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr unsigned kHostMachine = EM_AARCH64;
#elif defined(__riscv) && __riscv_xlen == 64
constexpr unsigned kHostMachine = EM_RISCV;
#elif defined(__powerpc64__)
constexpr unsigned kHostMachine = EM_PPC64;
#elif defined(__s390x__)
constexpr unsigned kHostMachine = EM_S390;
#else
#error "the plugin loader knows no ELF machine for this architecture; add it here"
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
constexpr unsigned char kHostData = ELFDATA2LSB;
#else
constexpr unsigned char kHostData = ELFDATA2MSB;
#endif

/// What an admin calls the machine a module was built for.
std::string machineName(unsigned machine) {
  switch (machine) {
    case EM_386: return "x86 (32-bit)";
    case EM_ARM: return "ARM (32-bit)";
    case EM_X86_64: return "x86-64";
    case EM_AARCH64: return "AArch64";
    case EM_RISCV: return "RISC-V";
    case EM_PPC64: return "PowerPC64";
    case EM_S390: return "s390x";
    case EM_MIPS: return "MIPS";
    case EM_SPARCV9: return "SPARC V9";
    case EM_LOONGARCH: return "LoongArch";
    default: return "an unknown machine";
  }
}

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
  const std::string name = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return notFound(name + ": cannot read the module file");
  std::error_code sizeError;
  const std::uintmax_t fileSize = std::filesystem::file_size(path, sizeError);
  if (sizeError) return notFound(name + ": cannot read the module file: " + sizeError.message());

  // e_ident (16 bytes) then e_type (2 bytes): enough to say what the file is before asking
  // for a whole 64-bit header.
  Elf64_Ehdr eh{};
  in.read(reinterpret_cast<char*>(&eh), static_cast<std::streamsize>(sizeof eh));
  const auto got = static_cast<std::size_t>(in.gcount());
  const unsigned char* id = eh.e_ident;
  if (got < SELFMAG || std::memcmp(id, ELFMAG, SELFMAG) != 0)
    return invalidArgument(name + ": not a shared object (no ELF header)");
  if (got < EI_NIDENT + sizeof(eh.e_type))
    return invalidArgument(name + ": not a shared object (truncated ELF header)");
  if (id[EI_DATA] != ELFDATA2LSB && id[EI_DATA] != ELFDATA2MSB)
    return invalidArgument(name + ": not a shared object (bad ELF byte order)");
  if (id[EI_DATA] != kHostData)
    return invalidArgument(name + ": built for a " +
                           (id[EI_DATA] == ELFDATA2MSB ? "big-endian" : "little-endian") +
                           " machine, this host is " +
                           (kHostData == ELFDATA2MSB ? "big-endian" : "little-endian"));
  if (id[EI_CLASS] != ELFCLASS64)
    return invalidArgument(name + ": built for a " +
                           (id[EI_CLASS] == ELFCLASS32 ? std::string("32-bit")
                                                       : "unknown (ELF class " +
                                                             std::to_string(id[EI_CLASS]) + ")") +
                           " machine, this host is 64-bit");
  if (eh.e_type != ET_DYN)
    return invalidArgument(name + ": not a shared object (ELF type " + std::to_string(eh.e_type) +
                           ", expected ET_DYN)");
  if (got < sizeof eh)
    return invalidArgument(name + ": not a shared object (truncated ELF header: " +
                           std::to_string(got) + " of " + std::to_string(sizeof eh) + " bytes)");
  if (eh.e_machine != kHostMachine)
    return invalidArgument(name + ": built for " + machineName(eh.e_machine) + " (EM " +
                           std::to_string(eh.e_machine) + "), this host is " +
                           machineName(kHostMachine));
  if (id[EI_VERSION] != EV_CURRENT || eh.e_version != EV_CURRENT)
    return invalidArgument(name + ": not a shared object (ELF version " +
                           std::to_string(eh.e_version) + ", expected 1)");

  // dlopen maps every loadable segment's file range; a range past the end of the file is a
  // SIGBUS in the loader on first touch, which kills the host. So every range is checked here.
  if (eh.e_phnum == 0)
    return invalidArgument(name + ": not a shared object (no program headers)");
  if (eh.e_phentsize != sizeof(Elf64_Phdr))
    return invalidArgument(name + ": damaged ELF header (program header size " +
                           std::to_string(eh.e_phentsize) + ", expected " +
                           std::to_string(sizeof(Elf64_Phdr)) + ")");
  const std::uintmax_t tableSize = std::uintmax_t{eh.e_phnum} * sizeof(Elf64_Phdr);
  if (eh.e_phoff > fileSize || tableSize > fileSize - eh.e_phoff)
    return invalidArgument(name + ": truncated: its program header table ends at byte " +
                           std::to_string(std::uintmax_t{eh.e_phoff} + tableSize) +
                           " but the file has " + std::to_string(fileSize) + " bytes");
  std::vector<Elf64_Phdr> headers(eh.e_phnum);
  in.seekg(static_cast<std::streamoff>(eh.e_phoff));
  in.read(reinterpret_cast<char*>(headers.data()), static_cast<std::streamsize>(tableSize));
  if (static_cast<std::uintmax_t>(in.gcount()) != tableSize)
    return notFound(name + ": cannot read the program header table");
  bool loadable = false;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const Elf64_Phdr& ph = headers[i];
    if (ph.p_type == PT_LOAD) loadable = true;
    if (ph.p_filesz == 0) continue;
    if (ph.p_offset > fileSize || ph.p_filesz > fileSize - ph.p_offset) {
      // The sum may exceed 64 bits only in a forged header; say so rather than wrap.
      const bool wraps = ph.p_filesz > std::numeric_limits<std::uint64_t>::max() - ph.p_offset;
      return invalidArgument(name + ": truncated: its segment " + std::to_string(i) +
                             " ends at byte " +
                             (wraps ? std::string("past 2^64")
                                    : std::to_string(ph.p_offset + ph.p_filesz)) +
                             " but the file has " + std::to_string(fileSize) + " bytes");
    }
    if (ph.p_type == PT_LOAD && ph.p_filesz > ph.p_memsz)
      return invalidArgument(name + ": damaged program header: segment " + std::to_string(i) +
                             " has more bytes in the file (" + std::to_string(ph.p_filesz) +
                             ") than in memory (" + std::to_string(ph.p_memsz) + ")");
  }
  if (!loadable) return invalidArgument(name + ": not a shared object (no loadable segment)");
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
