// Checks of settings values against their page descriptor, shared by hosts (before saving a
// form) and plugins (validateSettings): one implementation of what the manifest's field types,
// options, ranges, required flags and shown-when rules mean. Part of hostapi::manifest.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hostapi/settings.h"
#include "hostapi/status.h"

namespace hostapi {

/// True when `field` is shown on `page` with `values`: it has no shown-when rule, or the field it
/// depends on is itself shown and its effective value (saved, else default) equals the rule's.
/// A hidden field's value is neither checked nor used.
bool isFieldShown(const PageDescriptor& page, const PageValues& values,
                  const FieldDescriptor& field);

/// The effective value of a field as the form holds it: a secret field's saved secret (or a
/// plain value the host kept under `values`), else the saved value, else the default, else "".
/// Use only to check the value; never log it for a secret field.
std::string effectiveFieldValue(const PageDescriptor& page, const PageValues& values,
                                const FieldDescriptor& field);

/// Every problem of `values` against `page`, one FieldError per field at most, in page order:
/// a required field that is shown and empty; a select value that is not one of its options; a
/// number that does not parse or is outside min/max; a url that is not http(s)://host[:port]...;
/// a toggle that is not "true"/"false"; a text value with a line break. Hidden fields are not
/// checked. Messages name the field's label and never repeat a secret's value.
std::vector<FieldError> validatePageValues(const PageDescriptor& page, const PageValues& values);

/// A finite decimal number, surrounding blanks allowed ("20", "-1.5", " 8 "); nullopt otherwise
/// (junk, "", "inf", "nan", trailing text).
std::optional<double> parseDecimal(std::string_view text);

/// Ok when `url` is an absolute http:// or https:// URL with a host, an optional port 1-65535
/// and no user name or password; else INVALID_ARGUMENT saying what is wrong (without the URL).
Status checkHttpUrl(std::string_view url);

}  // namespace hostapi
