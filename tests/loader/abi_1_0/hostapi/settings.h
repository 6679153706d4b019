// Settings pages: what a plugin's manifest declares (descriptors) and what an admin entered
// (values). The host renders descriptors, stores values (secrets encrypted at rest) and hands
// them back to the plugin as PageValues.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hostapi/user.h"

namespace hostapi {

enum class FieldType { kToggle, kText, kSecret, kSelect, kNumber, kUrl, kMultiline };

/// "toggle", "text", "secret", "select", "number", "url", "multiline".
const char* fieldTypeName(FieldType t) noexcept;
std::optional<FieldType> parseFieldType(const std::string& s);

struct FieldOption {
  std::string value;
  std::string label;
};

/// The field is shown (and its value used) only while field `fieldKey` has value `equals`.
struct ShownWhen {
  std::string fieldKey;
  std::string equals;
};

struct FieldDescriptor {
  std::string key;      // unique within its page
  FieldType type = FieldType::kText;
  std::string label;
  std::string caption;  // help text under the field; may be empty
  std::optional<std::string> defaultValue;  // toggles: "true"/"false"
  bool required = false;
  std::vector<FieldOption> options;          // select only
  std::optional<ShownWhen> shownWhen;
  std::optional<double> min, max;            // number only
};

/// One settings page, rendered inside the configuration of each host directory of `kind`.
struct PageDescriptor {
  std::string key;    // unique within the plugin, e.g. "entra"
  std::string title;  // e.g. "Entra ID Specific Settings"
  DirectoryKind kind = DirectoryKind::kEntra;
  std::vector<FieldDescriptor> fields;

  const FieldDescriptor* field(const std::string& fieldKey) const {
    for (const auto& f : fields)
      if (f.key == fieldKey) return &f;
    return nullptr;
  }
};

/// A secret value. It never prints itself: toString() is redacted, there is no stream operator,
/// and the bytes are wiped when it dies. Call reveal() only where the secret is used.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  Secret(const Secret&) = default;
  Secret& operator=(const Secret&) = default;
  Secret(Secret&& o) noexcept : value_(std::move(o.value_)) { o.wipe(); }
  Secret& operator=(Secret&& o) noexcept {
    if (this != &o) { wipe(); value_ = std::move(o.value_); o.wipe(); }
    return *this;
  }
  ~Secret() { wipe(); }

  const std::string& reveal() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }
  std::string toString() const { return value_.empty() ? "" : "********"; }

 private:
  void wipe() noexcept {
    volatile char* p = value_.data();
    for (std::size_t i = 0; i < value_.size(); ++i) p[i] = 0;
    value_.clear();
  }
  std::string value_;
};

/// The values an admin saved on one page for one directory. Plain fields and secrets are kept
/// apart so that dumping `values` can never show a secret. A field never saved has no entry;
/// effective() falls back to the descriptor's default.
struct PageValues {
  std::string pageKey;
  std::string directoryId;
  std::map<std::string, std::string> values;
  std::map<std::string, Secret> secrets;

  std::optional<std::string> get(const std::string& key) const {
    auto it = values.find(key);
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
  const Secret* secret(const std::string& key) const {
    auto it = secrets.find(key);
    return it == secrets.end() ? nullptr : &it->second;
  }
  /// The saved value, else the page's default for the field, else "".
  std::string effective(const PageDescriptor& page, const std::string& key) const {
    if (auto v = get(key)) return *v;
    if (const auto* f = page.field(key); f && f->defaultValue) return *f->defaultValue;
    return {};
  }
};

/// One problem with one field, for the settings form to show beside that field.
struct FieldError {
  std::string fieldKey;
  std::string message;
};

inline const char* fieldTypeName(FieldType t) noexcept {
  switch (t) {
    case FieldType::kToggle: return "toggle";
    case FieldType::kText: return "text";
    case FieldType::kSecret: return "secret";
    case FieldType::kSelect: return "select";
    case FieldType::kNumber: return "number";
    case FieldType::kUrl: return "url";
    case FieldType::kMultiline: return "multiline";
  }
  return "unknown";
}

inline std::optional<FieldType> parseFieldType(const std::string& s) {
  static const std::pair<const char*, FieldType> kTypes[] = {
      {"toggle", FieldType::kToggle}, {"text", FieldType::kText},
      {"secret", FieldType::kSecret}, {"select", FieldType::kSelect},
      {"number", FieldType::kNumber}, {"url", FieldType::kUrl},
      {"multiline", FieldType::kMultiline}};
  for (const auto& [name, type] : kTypes)
    if (s == name) return type;
  return std::nullopt;
}

}  // namespace hostapi
