// photosync::http json — reading untrusted JSON from an IdP without surprises. cpprest's
// web::json::value::operator[] inserts a null for a missing key and as_string() throws on a
// wrong type; these helpers answer "absent or wrong type" as nullopt/nullptr and never throw.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <cpprest/json.h>

#include "hostapi/status.h"

namespace photosync::http {

/// Parses a body as JSON; INVALID_ARGUMENT with the parser's reason (never the body) on failure.
hostapi::Result<web::json::value> parseJson(std::string_view body);
/// parseJson for answers that carry long strings as values (a Graph $batch's photos in base64,
/// 23 KB each): string values of at least `minLength` bytes without escapes or control
/// characters are cut out of the text before cpprest parses the rest, then put back, moved, not
/// copied. The result and every error are parseJson's; it is only cheaper (cpprest reads a
/// string a character at a time).
hostapi::Result<web::json::value> parseJsonLiftingLongStrings(std::string_view body, std::size_t minLength = 1024);

/// The field's value if `obj` is an object holding `key`, else nullptr. The pointer lives as long
/// as `obj` is unchanged.
const web::json::value* getField(const web::json::value& obj, std::string_view key);
/// String field (nullopt when absent or not a string). UTF-8.
std::optional<std::string> getString(const web::json::value& obj, std::string_view key);
/// Integer field (nullopt when absent, not a number, or not an integer that fits).
std::optional<std::int64_t> getInt64(const web::json::value& obj, std::string_view key);
/// Number field, integer or not.
std::optional<double> getNumber(const web::json::value& obj, std::string_view key);
std::optional<bool> getBool(const web::json::value& obj, std::string_view key);
/// Object / array fields, nullptr when absent or of another type.
const web::json::value* getObject(const web::json::value& obj, std::string_view key);
const web::json::array* getArray(const web::json::value& obj, std::string_view key);

/// UTF-8 conversions for building JSON (cpprest's string_t is std::string on Linux; kept explicit
/// so the code reads the same if that changes).
web::json::value jsonString(std::string_view utf8);
std::string toJsonText(const web::json::value& v);

}  // namespace photosync::http
