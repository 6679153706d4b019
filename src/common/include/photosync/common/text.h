// The few text operations every part of the plugin needs, in one place: trimming blanks and ASCII
// case folding. ASCII only and locale-free on purpose: what they compare (HTTP header names,
// schemes, host names, field values, token types) is ASCII by protocol, and a host process that
// calls setlocale() must not change what the plugin accepts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace photosync {

/// Space, tab, CR and LF: what surrounds a value pasted into a form or read from a line.
inline constexpr std::string_view kBlanks = " \t\r\n";
/// RFC 9110 OWS (space and tab): what may surround an HTTP field value.
inline constexpr std::string_view kHttpWhitespace = " \t";

/// `s` without leading and trailing characters from `blanks`.
std::string_view trim(std::string_view s, std::string_view blanks = kBlanks) noexcept;

/// 'A'-'Z' to 'a'-'z'; every other byte unchanged (UTF-8 included).
constexpr char lowerAscii(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// `s` with lowerAscii applied to each byte.
std::string lower(std::string_view s);

/// Equal after lowerAscii on both sides.
bool equalsIgnoreCase(std::string_view a, std::string_view b) noexcept;

/// `s` begins with `prefix`, compared after lowerAscii on both sides.
bool startsWithIgnoreCase(std::string_view s, std::string_view prefix) noexcept;

/// "1 user", "2 users", "0 users": a count for a message, as a plain whole number.
std::string countOf(std::uint64_t n, std::string_view one, std::string_view many);

}  // namespace photosync
