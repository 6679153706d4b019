#include "photosync/sync/user_state.h"

#include <cpprest/json.h>

namespace photosync::sync {
namespace {

std::string str(const web::json::object& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->second.is_string()) return {};
  return it->second.as_string();
}

}  // namespace

std::string stateKey(const std::string& userId) { return "u/" + userId; }

std::string serializeUserState(const UserState& s) {
  web::json::value v = web::json::value::object();
  v["provider"] = web::json::value::string(s.provider);
  v["version"] = web::json::value::string(s.versionTag);
  v["hash"] = web::json::value::string(s.avatarSha256);
  v["outcome"] = web::json::value::string(s.lastOutcome);
  if (s.revertHeld) v["revertHeld"] = web::json::value::boolean(true);
  return v.serialize();
}

std::optional<UserState> parseUserState(const std::string& text) {
  try {
    auto v = web::json::value::parse(text);
    if (!v.is_object()) return std::nullopt;
    const auto& o = v.as_object();
    UserState s;
    s.provider = str(o, "provider");
    s.versionTag = str(o, "version");
    s.avatarSha256 = str(o, "hash");
    s.lastOutcome = str(o, "outcome");
    auto it = o.find("revertHeld");
    s.revertHeld = it != o.end() && it->second.is_boolean() && it->second.as_bool();
    return s;
  } catch (...) {
    return std::nullopt;  // a damaged row only costs one download
  }
}

}  // namespace photosync::sync
