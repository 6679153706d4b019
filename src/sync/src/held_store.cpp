#include "photosync/sync/held_store.h"

#include <algorithm>
#include <ctime>

#include <cpprest/json.h>

#include "json_fields.h"

namespace photosync::sync {
namespace {

// The store's keys() is bounded; no directory holds more users than this.
constexpr std::size_t kMaxHeld = 10'000'000;

}  // namespace

using json_fields::str;
using json_fields::whole;

std::string heldPrefix(const std::string& directoryId) { return "held/" + directoryId + "/"; }
std::string heldKey(const std::string& directoryId, const std::string& userId) {
  return heldPrefix(directoryId) + userId;
}

std::string serializeHeld(const HeldRecord& r) {
  web::json::value v = web::json::value::object();
  v["directory"] = web::json::value::string(r.directoryId);
  v["user"] = web::json::value::string(r.userId);
  v["username"] = web::json::value::string(r.username);
  v["provider"] = web::json::value::string(r.provider);
  v["hash"] = web::json::value::string(r.expectSha);
  v["reason"] = web::json::value::string(r.reason);
  v["since"] = web::json::value::number(static_cast<int64_t>(r.sinceMs));
  v["runs"] = web::json::value::number(static_cast<uint32_t>(r.runs));
  return v.serialize();
}

std::optional<HeldRecord> parseHeld(const std::string& text) {
  try {
    auto v = web::json::value::parse(text);
    if (!v.is_object()) return std::nullopt;
    const auto& o = v.as_object();
    HeldRecord r;
    r.directoryId = str(o, "directory");
    r.userId = str(o, "user");
    r.username = str(o, "username");
    r.provider = str(o, "provider");
    r.expectSha = str(o, "hash");
    r.reason = str(o, "reason");
    r.sinceMs = whole(o, "since");
    const auto runs = whole(o, "runs");
    r.runs = runs > 0 && runs < (1ll << 31) ? static_cast<std::uint32_t>(runs) : 0;
    if (r.userId.empty() || r.directoryId.empty()) return std::nullopt;
    return r;
  } catch (...) {
    return std::nullopt;
  }
}

hostapi::Result<std::vector<HeldRecord>> listHeld(const hostapi::StateStore& store,
                                                  const std::string& directoryId) {
  auto keys = store.keys(directoryId.empty() ? std::string("held/") : heldPrefix(directoryId), kMaxHeld);
  if (!keys.isOk()) return keys.status();
  std::vector<HeldRecord> out;
  if (keys.value().empty()) return out;
  auto values = store.getMany(keys.value());
  if (!values.isOk()) return values.status();
  for (const auto& v : values.value())
    if (v)
      if (auto r = parseHeld(*v)) out.push_back(std::move(*r));
  std::stable_sort(out.begin(), out.end(), [](const HeldRecord& a, const HeldRecord& b) {
    return a.sinceMs != b.sinceMs ? a.sinceMs < b.sinceMs : a.username < b.username;
  });
  return out;
}

std::string utcMinute(std::int64_t unixMs) {
  const std::time_t t = static_cast<std::time_t>(unixMs / 1000);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return "an unknown time";
  char buf[32];
  if (std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm) == 0) return "an unknown time";
  return buf;
}

}  // namespace photosync::sync
