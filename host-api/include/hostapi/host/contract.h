// The rules of the plugin contract that a host checks, one function each, shared by the loader
// (plugin_loader.h) and by any host that loads or calls plugins its own way. Each refusal is a
// Status whose message names the file at fault and says what would fit.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "hostapi/manifest.h"
#include "hostapi/plugin.h"
#include "hostapi/services.h"
#include "hostapi/status.h"
#include "hostapi/version.h"

namespace hostapi::host {

/// The API version this host library was compiled with (version.h).
ApiVersion hostApiVersion() noexcept;

/// `version` as "MAJOR.MINOR"; without an argument, this host's.
std::string versionText(ApiVersion version);
std::string hostApiVersionText();

/// True when a manifest's host-api range [min, max] admits a host of version `host`: min is not
/// newer than the host, and the plugin targets the host's major (a newer minor of the same major
/// only adds to the API, so a plugin built for 1.0 runs on a 1.3 host).
bool manifestAdmitsHost(const Manifest& manifest, ApiVersion host);

/// ok when `manifest`'s host-api range admits this host; otherwise FAILED_PRECONDITION
/// "manifestPath: plugin 'k' supports host API 1.0 to 1.0, this host has 2.0".
Status checkManifestRange(const Manifest& manifest, const std::filesystem::path& manifestPath);

/// ok when the manifest's interface id equals `hostInterfaceId` (by default this host's,
/// kPluginInterfaceId) exactly; otherwise FAILED_PRECONDITION naming both ids and whether the
/// name or the major differs.
Status checkInterfaceId(const Manifest& manifest, const std::filesystem::path& manifestPath,
                        std::string_view hostInterfaceId = kPluginInterfaceId);

/// ok when a module built against `module` may be loaded by this host (isCompatible); otherwise
/// FAILED_PRECONDITION "modulePath: Wrong API version on plugin 'k'. Got version 2.0, supported
/// version is 1.1." (LLVM's wording).
Status checkModuleApiVersion(ApiVersion module, const std::string& key,
                             const std::filesystem::path& modulePath);

/// ok when `path` is an ELF shared object this host can map: an ELF header (magic, 64-bit, this
/// host's byte order, e_type ET_DYN, this host's e_machine, version 1), a program header table
/// inside the file, at least one PT_LOAD, and every segment's file range inside the file. dlopen
/// of a file that fails the last check dies of SIGBUS (a truncated copy); it is refused here
/// instead. The error names the file and says what is wrong ("…: truncated: its segment 2 ends
/// at byte 1234567 but the file has 1048576 bytes", "…: built for AArch64 (EM 183), this host is
/// x86-64"). The file can still change between this check and dlopen; a host that loads from a
/// folder others may write to has a bigger problem than this check can solve.
Status checkSharedObject(const std::filesystem::path& path);

/// The services a host is about to hand to initialize(): every pointer must be set (the plugin
/// may rely on it, see docs/plugin-developer.md). INVALID_ARGUMENT naming the first null member.
Status checkHostServices(const HostServices& services);

/// The same for a run's context: progress and cancellation must be set.
Status checkSyncContext(const SyncContext& ctx);

}  // namespace hostapi::host
