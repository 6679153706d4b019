// What every provider's validate*Page shares: the page descriptor's generic checks first
// (hostapi::validatePageValues), the common fields every page has, then the provider's own checks
// field by field, and last the provider's own page parser — the one it runs with — so that a page
// the provider would refuse at sync time is refused when it is saved. At most one error per field;
// no message repeats a secret.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "hostapi/settings.h"
#include "hostapi/status.h"

namespace photosync::providers::detail {

class PageChecker {
 public:
  /// Runs the generic checks and the common fields' (whole numbers where the engine needs them).
  PageChecker(const hostapi::PageDescriptor& page, const hostapi::PageValues& values);

  /// The value to check as the form holds it (saved, else the default; not trimmed): nullopt
  /// when the field is unknown, hidden, or already has an error.
  std::optional<std::string> value(const std::string& key) const;

  /// An error on `key`: "<label> <message>", e.g. "\"Tenant ID\" must be ...".
  void add(const std::string& key, const std::string& message);

  /// A refusal of the provider's own page parser. Its messages read "field: why"; the error goes
  /// to that field unless it already has one (it is then the same problem, reported once), or to
  /// the page ("" key) when the message names no field of the page.
  void addParserError(const hostapi::Status& status);

  bool failed(const std::string& key) const { return failed_.count(key) != 0; }

  std::vector<hostapi::FieldError> take() && { return std::move(errors_); }

 private:
  const hostapi::PageDescriptor& page_;
  const hostapi::PageValues& values_;
  std::vector<hostapi::FieldError> errors_;
  std::set<std::string> failed_;
};

/// 8-4-4-4-12 hex digits, as Entra shows tenant and application ids.
bool isGuid(std::string_view s);
/// A DNS name with at least one dot: letters, digits, '-' and '.', no empty label.
bool isDomainName(std::string_view s);
/// local@domain.tld, without blanks; good enough to catch a pasted name or a missing domain.
bool isEmailAddress(std::string_view s);

}  // namespace photosync::providers::detail
