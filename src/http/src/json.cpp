#include "photosync/http/json.h"

#include <cstddef>
#include <cstring>
#include <limits>
#include <system_error>

namespace photosync::http {
namespace {

// cpprest's parser recurses per nesting level; a hostile body of a million '[' would overflow the
// stack. No IdP answer we read nests deeper than a dozen levels.
constexpr int kMaxDepth = 128;

// Strings are skipped with memchr to their closing quote (a quote is escaped when an odd run of
// backslashes precedes it): a $batch answer is mostly the photos' base64 strings, and the loop of
// before, one character at a time through them, was 1.1% of the host's CPU in a first sync.
bool nestingWithinLimit(std::string_view body) {
  int depth = 0;
  const char* p = body.data();
  const char* const end = p + body.size();
  while (p < end) {
    const char c = *p++;
    if (c == '"') {
      for (;;) {
        const auto* q = static_cast<const char*>(std::memchr(p, '"', static_cast<std::size_t>(end - p)));
        if (q == nullptr) return true;  // an unterminated string: the parser says what is wrong
        std::size_t slashes = 0;
        while (q - slashes > p && q[-1 - static_cast<std::ptrdiff_t>(slashes)] == '\\') ++slashes;
        p = q + 1;
        if (slashes % 2 == 0) break;
      }
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

}  // namespace

hostapi::Result<web::json::value> parseJson(std::string_view body) {
  if (!nestingWithinLimit(body))
    return hostapi::invalidArgument("the JSON is nested more than " + std::to_string(kMaxDepth) + " levels deep");
  try {
    std::error_code ec;
    auto v = web::json::value::parse(utility::string_t(body), ec);
    if (ec) return hostapi::invalidArgument("the answer is not valid JSON: " + ec.message());
    return v;
  } catch (const std::exception& e) {
    return hostapi::invalidArgument(std::string("the answer is not valid JSON: ") + e.what());
  }
}

const web::json::value* getField(const web::json::value& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  const auto& o = obj.as_object();
  auto it = o.find(utility::string_t(key));
  if (it == o.end()) return nullptr;
  return &it->second;
}

std::optional<std::string> getString(const web::json::value& obj, std::string_view key) {
  const auto* v = getField(obj, key);
  if (!v || !v->is_string()) return std::nullopt;
  return v->as_string();
}

std::optional<std::int64_t> getInt64(const web::json::value& obj, std::string_view key) {
  const auto* v = getField(obj, key);
  if (!v || !v->is_number()) return std::nullopt;
  const auto& n = v->as_number();
  if (n.is_int64()) return n.to_int64();
  return std::nullopt;
}

std::optional<double> getNumber(const web::json::value& obj, std::string_view key) {
  const auto* v = getField(obj, key);
  if (!v || !v->is_number()) return std::nullopt;
  return v->as_double();
}

std::optional<bool> getBool(const web::json::value& obj, std::string_view key) {
  const auto* v = getField(obj, key);
  if (!v || !v->is_boolean()) return std::nullopt;
  return v->as_bool();
}

const web::json::value* getObject(const web::json::value& obj, std::string_view key) {
  const auto* v = getField(obj, key);
  return v && v->is_object() ? v : nullptr;
}

const web::json::array* getArray(const web::json::value& obj, std::string_view key) {
  const auto* v = getField(obj, key);
  return v && v->is_array() ? &v->as_array() : nullptr;
}

web::json::value jsonString(std::string_view utf8) { return web::json::value::string(utility::string_t(utf8)); }

std::string toJsonText(const web::json::value& v) { return v.serialize(); }

}  // namespace photosync::http
