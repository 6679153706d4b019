// Lenient readers of one field of a JSON object the plugin wrote into its StateStore: a field
// that is missing or of another type reads as empty, false or 0 (a damaged row is then a row
// without that field, never an exception).
#pragma once

#include <cstdint>
#include <string>

#include <cpprest/json.h>

namespace photosync::sync::json_fields {

inline std::string str(const web::json::object& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->second.is_string()) return {};
  return it->second.as_string();
}

inline bool flag(const web::json::object& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->second.is_boolean() && it->second.as_bool();
}

inline std::int64_t whole(const web::json::object& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->second.is_number() || !it->second.as_number().is_int64()) return 0;
  return it->second.as_number().to_int64();
}

}  // namespace photosync::sync::json_fields
