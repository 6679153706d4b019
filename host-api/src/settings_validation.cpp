// What the manifest's field types, options, ranges, required flags and shown-when rules mean for
// the values an admin enters: one implementation for hosts and plugins alike.
#include "hostapi/settings_validation.h"

#include <charconv>
#include <cmath>
#include <sstream>
#include <string>
#include <system_error>

namespace hostapi {
namespace {

std::string_view trimBlanks(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

bool isHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_';
}

bool isHexOrColon(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
         c == ':' || c == '.';
}

/// Formats a bound as an admin writes it: 20 -> "20", 1.5 -> "1.5", 104857600 -> "104857600"
/// (the stream's default 6 digits printed "1.04858e+08").
std::string numberText(double v) {
  if (std::isfinite(v) && v == std::trunc(v) && std::fabs(v) < 1e15)
    return std::to_string(static_cast<long long>(v));
  std::ostringstream out;
  out.precision(15);
  out << v;
  return out.str();
}

/// The name an error message uses for a field: its label, else its key.
std::string nameOf(const FieldDescriptor& f) {
  return f.label.empty() ? f.key : "\"" + f.label + "\"";
}

bool shownAtDepth(const PageDescriptor& page, const PageValues& values,
                  const FieldDescriptor& field, std::size_t depth) {
  if (!field.shownWhen) return true;
  // A loop of rules is refused by the manifest parser; a hand-made descriptor with one hides
  // the fields instead of recursing forever.
  if (depth > page.fields.size()) return false;
  const FieldDescriptor* controller = page.field(field.shownWhen->fieldKey);
  if (!controller) return false;
  if (!shownAtDepth(page, values, *controller, depth + 1)) return false;
  return effectiveFieldValue(page, values, *controller) == field.shownWhen->equals;
}

}  // namespace

std::optional<double> parseDecimal(std::string_view text) {
  text = trimBlanks(text);
  if (text.empty()) return std::nullopt;
  if (text.front() == '+') text.remove_prefix(1);  // from_chars refuses a leading '+'
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v,
                                   std::chars_format::fixed);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v))
    return std::nullopt;
  return v;
}

Status checkHttpUrl(std::string_view url) {
  if (url.empty()) return invalidArgument("is empty");
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return invalidArgument("must not contain spaces or control characters");
  std::string_view rest;
  if (startsWithNoCase(url, "https://"))
    rest = url.substr(8);
  else if (startsWithNoCase(url, "http://"))
    rest = url.substr(7);
  else
    return invalidArgument("must start with https:// or http://");
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos)
    return invalidArgument("must not contain a user name or password");
  if (authority.empty()) return invalidArgument("has no host name");

  std::string_view host = authority, port;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos || close == 1)
      return invalidArgument("has a malformed IPv6 address");
    for (char c : authority.substr(1, close - 1))
      if (!isHexOrColon(c)) return invalidArgument("has a malformed IPv6 address");
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return invalidArgument("has junk after the IPv6 address");
      port = after.substr(1);
      if (port.empty()) return invalidArgument("has an empty port");
    }
  } else {
    const auto colon = authority.find(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      if (port.empty()) return invalidArgument("has an empty port");
    }
    if (host.empty()) return invalidArgument("has no host name");
    for (char c : host)
      if (!isHostChar(c)) return invalidArgument("has an invalid character in the host name");
    if (host.front() == '.' || host.find("..") != std::string_view::npos)
      return invalidArgument("has an invalid host name");
  }
  if (!port.empty()) {
    unsigned p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p == 0 || p > 65535)
      return invalidArgument("has an invalid port (expected 1-65535)");
  }
  return Status::ok();
}

std::string effectiveFieldValue(const PageDescriptor& page, const PageValues& values,
                                const FieldDescriptor& field) {
  if (field.type == FieldType::kSecret)
    if (const Secret* s = values.secret(field.key)) return s->reveal();
  return values.effective(page, field.key);
}

bool isFieldShown(const PageDescriptor& page, const PageValues& values,
                  const FieldDescriptor& field) {
  return shownAtDepth(page, values, field, 0);
}

std::vector<FieldError> validatePageValues(const PageDescriptor& page, const PageValues& values) {
  std::vector<FieldError> errors;
  for (const FieldDescriptor& f : page.fields) {
    if (!isFieldShown(page, values, f)) continue;
    const std::string value = effectiveFieldValue(page, values, f);
    const auto error = [&](std::string message) {
      errors.push_back({f.key, nameOf(f) + " " + std::move(message)});
    };
    if (trimBlanks(value).empty()) {
      if (f.required) error("is required");
      continue;
    }
    switch (f.type) {
      case FieldType::kToggle:
        if (value != "true" && value != "false") error("must be true or false");
        break;
      case FieldType::kSelect: {
        bool known = false;
        std::string choices;
        for (const auto& o : f.options) {
          known = known || o.value == value;
          choices += (choices.empty() ? "" : ", ") + o.value;
        }
        if (!known) error("must be one of: " + choices);
        break;
      }
      case FieldType::kNumber: {
        auto n = parseDecimal(value);
        if (!n)
          error("must be a number");
        else if ((f.min && *n < *f.min) || (f.max && *n > *f.max))
          error("must be " + (f.min && f.max   ? "between " + numberText(*f.min) + " and " +
                                                     numberText(*f.max)
                              : f.min         ? "at least " + numberText(*f.min)
                                              : "at most " + numberText(*f.max)));
        break;
      }
      case FieldType::kUrl:
        if (Status s = checkHttpUrl(trimBlanks(value)); !s) error(s.message());
        break;
      case FieldType::kText:
        if (value.find_first_of("\r\n") != std::string::npos) error("must be a single line");
        break;
      case FieldType::kSecret:
      case FieldType::kMultiline:
        break;
    }
  }
  return errors;
}

}  // namespace hostapi
