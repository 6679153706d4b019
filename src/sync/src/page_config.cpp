#include "photosync/sync/page_config.h"

#include <charconv>
#include <optional>
#include <string>

namespace photosync::sync {
namespace {

std::string valueOr(const hostapi::PageValues& page, const std::string& key, std::string fallback) {
  auto v = page.get(key);
  return v ? *v : std::move(fallback);
}

std::optional<std::uint64_t> parseWhole(const std::string& s) {
  std::string t = s;
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.pop_back();
  std::size_t b = 0;
  while (b < t.size() && (t[b] == ' ' || t[b] == '\t')) ++b;
  t = t.substr(b);
  // A number field may come back as "20.0" from a form; accept a zero fraction only.
  if (auto dot = t.find('.'); dot != std::string::npos) {
    if (t.find_first_not_of('0', dot + 1) != std::string::npos) return std::nullopt;
    t = t.substr(0, dot);
  }
  if (t.empty()) return std::nullopt;
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || p != t.data() + t.size()) return std::nullopt;
  return v;
}

}  // namespace

const char* overridePolicyName(OverridePolicy p) noexcept {
  switch (p) {
    case OverridePolicy::kIdpAuthoritative: return "idpAuthoritative";
    case OverridePolicy::kUnlessUserUploaded: return "unlessUserUploaded";
    case OverridePolicy::kFillEmptyOnly: return "fillEmptyOnly";
  }
  return "idpAuthoritative";
}

std::string pageKeyFor(hostapi::DirectoryKind kind) { return hostapi::directoryKindName(kind); }

bool syncPhotosOn(const hostapi::PageValues& page) {
  auto v = page.get("syncPhotos");
  return v && (*v == "true" || *v == "1" || *v == "on");
}

hostapi::Result<PageConfig> parsePageConfig(hostapi::DirectoryKind kind,
                                            const hostapi::PageValues& page) {
  PageConfig c;
  c.concurrency = kind == hostapi::DirectoryKind::kScim ? 8 : 4;
  std::string problems;
  auto problem = [&](const std::string& p) {
    if (!problems.empty()) problems += "; ";
    problems += p;
  };

  const std::string npa = valueOr(page, "noPhotoAction", "revert");
  if (npa == "revert") c.noPhotoAction = NoPhotoAction::kRevert;
  else if (npa == "keep") c.noPhotoAction = NoPhotoAction::kKeep;
  else problem("noPhotoAction: must be revert or keep, got '" + npa + "'");

  const std::string op = valueOr(page, "overridePolicy", "idpAuthoritative");
  if (op == "idpAuthoritative") c.overridePolicy = OverridePolicy::kIdpAuthoritative;
  else if (op == "unlessUserUploaded") c.overridePolicy = OverridePolicy::kUnlessUserUploaded;
  else if (op == "fillEmptyOnly") c.overridePolicy = OverridePolicy::kFillEmptyOnly;
  else problem("overridePolicy: must be idpAuthoritative, unlessUserUploaded or fillEmptyOnly, got '" + op + "'");

  auto number = [&](const char* key, std::uint64_t lo, std::uint64_t hi,
                    std::uint64_t fallback) -> std::uint64_t {
    auto raw = page.get(key);
    if (!raw || raw->empty()) return fallback;
    auto v = parseWhole(*raw);
    if (!v || *v < lo || *v > hi) {
      problem(std::string(key) + ": must be a whole number from " + std::to_string(lo) + " to " +
              std::to_string(hi) + ", got '" + *raw + "'");
      return fallback;
    }
    return *v;
  };
  c.massRevertGuardPercent = static_cast<int>(number("massRevertGuardPercent", 0, 100, 20));
  c.concurrency = static_cast<int>(number("concurrency", 1, 64, static_cast<std::uint64_t>(c.concurrency)));
  c.maxConcurrency = kind == hostapi::DirectoryKind::kEntra
                         ? std::max(c.concurrency, static_cast<int>(number("maxConcurrency", 1, 64, 16)))
                         : c.concurrency;
  c.maxImageBytes = number("maxImageBytes", 1, 1ull << 40, c.maxImageBytes);
  c.maxImagePixels = number("maxImagePixels", 1, 1ull << 40, c.maxImagePixels);
  c.heldAutoApplyRuns = static_cast<std::uint32_t>(number("heldAutoApplyRuns", 0, 1000, 0));
  c.heldAutoApplyHours = static_cast<std::uint32_t>(number("heldAutoApplyHours", 0, 8760, 0));
  c.refusedRetryDays = static_cast<std::uint32_t>(number("refusedRetryDays", 0, 365, 7));

  if (!problems.empty()) return hostapi::invalidArgument(problems);
  return c;
}

}  // namespace photosync::sync
