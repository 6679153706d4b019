#include "photosync/http/json.h"

#include <limits>
#include <system_error>

namespace photosync::http {
namespace {

// cpprest's parser recurses per nesting level; a hostile body of a million '[' would overflow the
// stack. No IdP answer we read nests deeper than a dozen levels.
constexpr int kMaxDepth = 128;

bool nestingWithinLimit(std::string_view body) {
  int depth = 0;
  bool inString = false, escaped = false;
  for (char c : body) {
    if (inString) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') inString = false;
      continue;
    }
    if (c == '"') inString = true;
    else if (c == '[' || c == '{') {
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
