#include "page_checks.h"

#include <algorithm>
#include <cmath>

#include "hostapi/settings_validation.h"
#include "photosync/common/text.h"

namespace photosync::providers::detail {

PageChecker::PageChecker(const hostapi::PageDescriptor& page, const hostapi::PageValues& values)
    : page_(page), values_(values), errors_(hostapi::validatePageValues(page, values)) {
  for (const auto& e : errors_) failed_.insert(e.fieldKey);
  // The engine's common fields (src/sync PageConfig) take whole numbers only.
  for (const char* key : {"massRevertGuardPercent", "concurrency", "maxImageBytes", "maxImagePixels"})
    if (auto v = value(key); v && !trim(*v).empty()) {
      auto n = hostapi::parseDecimal(*v);
      if (n && std::floor(*n) != *n) add(key, "must be a whole number");
    }
}

std::optional<std::string> PageChecker::value(const std::string& key) const {
  const auto* f = page_.field(key);
  if (!f || failed(key) || !hostapi::isFieldShown(page_, values_, *f)) return std::nullopt;
  return hostapi::effectiveFieldValue(page_, values_, *f);
}

void PageChecker::add(const std::string& key, const std::string& message) {
  const auto* f = page_.field(key);
  const std::string name = f && !f->label.empty() ? "\"" + f->label + "\"" : key;
  errors_.push_back({key, name + " " + message});
  failed_.insert(key);
}

void PageChecker::addParserError(const hostapi::Status& status) {
  if (status.isOk()) return;
  const std::string& m = status.message();
  const auto colon = m.find(": ");
  const std::string key = colon == std::string::npos ? std::string() : m.substr(0, colon);
  if (!key.empty() && page_.field(key) != nullptr) {
    if (failed(key)) return;
    add(key, "is refused: " + m.substr(colon + 2));
    return;
  }
  if (failed("")) return;
  errors_.push_back({"", m});
  failed_.insert("");
}

bool isGuid(std::string_view s) {
  const auto isHex = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  };
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !isHex(s[i])) return false;
  }
  return true;
}

bool isDomainName(std::string_view s) {
  if (s.empty() || s.size() > 253 || s.find('.') == std::string_view::npos) return false;
  if (s.front() == '.' || s.back() == '.' || s.find("..") != std::string_view::npos) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.';
  });
}

bool isEmailAddress(std::string_view s) {
  const auto at = s.find('@');
  if (at == 0 || at == std::string_view::npos || s.find('@', at + 1) != std::string_view::npos)
    return false;
  for (char c : s.substr(0, at))
    if (static_cast<unsigned char>(c) <= 0x20 || c == '<' || c == '>' || c == ',') return false;
  return isDomainName(s.substr(at + 1));
}

}  // namespace photosync::providers::detail
