#include "photosync/sync/user_state.h"

#include <cpprest/json.h>

#include "json_fields.h"

namespace photosync::sync {

using json_fields::flag;
using json_fields::str;
using json_fields::whole;

std::string stateKey(const std::string& userId) { return "u/" + userId; }

std::string serializeUserState(const UserState& s) {
  web::json::value v = web::json::value::object();
  v["provider"] = web::json::value::string(s.provider);
  v["version"] = web::json::value::string(s.versionTag);
  v["hash"] = web::json::value::string(s.avatarSha256);
  v["outcome"] = web::json::value::string(s.lastOutcome);
  if (s.revertHeld) {
    v["revertHeld"] = web::json::value::boolean(true);
    v["heldSince"] = web::json::value::number(static_cast<int64_t>(s.heldSinceMs));
    v["heldRuns"] = web::json::value::number(static_cast<uint32_t>(s.heldRuns));
  }
  if (s.revertRefused) v["revertRefused"] = web::json::value::boolean(true);
  if (!s.refusedTag.empty()) {
    v["refusedTag"] = web::json::value::string(s.refusedTag);
    v["refusedAt"] = web::json::value::number(static_cast<int64_t>(s.refusedAtMs));
    v["refusedReason"] = web::json::value::string(s.refusedReason);
  }
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
    s.revertHeld = flag(o, "revertHeld");
    s.heldSinceMs = whole(o, "heldSince");
    const auto runs = whole(o, "heldRuns");
    s.heldRuns = runs > 0 && runs < (1ll << 31) ? static_cast<std::uint32_t>(runs) : 0;
    s.revertRefused = flag(o, "revertRefused");
    s.refusedTag = str(o, "refusedTag");
    s.refusedAtMs = whole(o, "refusedAt");
    s.refusedReason = str(o, "refusedReason");
    return s;
  } catch (...) {
    return std::nullopt;  // a damaged row only costs one download
  }
}

std::string statusKey(const std::string& userId) { return "s/" + userId; }

std::string serializeStatusRow(const StatusRow& s) {
  web::json::value v = web::json::value::object();
  v["outcome"] = web::json::value::string(s.outcome);
  if (!s.reason.empty()) v["reason"] = web::json::value::string(s.reason);
  v["since"] = web::json::value::number(static_cast<int64_t>(s.sinceMs));
  return v.serialize();
}

std::optional<StatusRow> parseStatusRow(const std::string& text) {
  try {
    auto v = web::json::value::parse(text);
    if (!v.is_object()) return std::nullopt;
    const auto& o = v.as_object();
    StatusRow s;
    s.outcome = str(o, "outcome");
    s.reason = str(o, "reason");
    s.sinceMs = whole(o, "since");
    if (s.outcome.empty()) return std::nullopt;
    return s;
  } catch (...) {
    return std::nullopt;  // a damaged row is written again
  }
}

bool sameStatus(const std::optional<StatusRow>& prev, const std::string& outcome, const std::string& reason) {
  if (!prev || prev->reason != reason) return false;
  return prev->outcome == outcome || (outcome == "unchanged" && prev->outcome == "updated");
}

}  // namespace photosync::sync
