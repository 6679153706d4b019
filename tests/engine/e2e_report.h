// What the PhotoSync end-to-end tests read back, shared by the Entra, Google and SCIM suites: the
// PhotoSync part of a `sample-host sync --json` run, `sample-host users list --json`, and
// idp-sim's admin API (`/_admin/users`, `/_admin/counters`, ...) over HTTP.
#pragma once

#include <gtest/gtest.h>

#include <cpprest/json.h>

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>

#include "photosync/http/client.h"
#include "photosync/http/json.h"

namespace e2e_report {

using web::json::value;

/// The PhotoSync part of one `sample-host sync --json` output; a test failure and an empty object
/// when there is none.
inline value photosyncReport(const std::string& syncJson) {
  const value run = value::parse(syncJson);
  for (const auto& p : run.at("plugins").as_array())
    if (p.at("pluginKey").as_string() == "photosync") return p;
  ADD_FAILURE() << "no photosync report in " << syncJson;
  return value::object();
}

/// idp-sim's admin API: JSON in, JSON out; a transport error or a non-JSON answer throws.
class SimAdmin {
 public:
  value call(const std::string& base, const std::string& method, const std::string& path,
             const std::string& body = "") {
    photosync::http::Request req;
    req.method = method;
    req.url = base + path;
    req.body = body;
    if (!body.empty()) req.headers.set("Content-Type", "application/json");
    auto resp = client_.send(req);
    if (!resp.isOk()) throw std::runtime_error("idp-sim " + path + ": " + resp.status().toString());
    auto j = photosync::http::parseJson(resp.value().body);
    if (!j.isOk()) throw std::runtime_error("idp-sim " + path + " answered " + resp.value().body);
    return j.value();
  }

 private:
  photosync::http::Client client_;
};

/// A count of the plugin's report ("updated", "skipped", ...); 0 when absent.
inline std::uint64_t count(const value& plugin, const std::string& name) {
  for (const auto& c : plugin.at("report").at("counts").as_array())
    if (c.at("name").as_string() == name) return c.at("value").as_number().to_uint64();
  return 0;
}

/// A metric of the plugin's report ("requests", "bytes downloaded", ...); 0 when absent.
inline double metric(const value& plugin, const std::string& name) {
  for (const auto& m : plugin.at("report").at("metrics").as_array())
    if (m.at("name").as_string() == name) return m.at("value").as_double();
  return 0;
}

/// Every per-user entry as "outcome: reason" lines, for failure messages.
inline std::string reasons(const value& plugin) {
  std::string s;
  for (const auto& e : plugin.at("report").at("entries").as_array())
    s += e.at("outcome").as_string() + ": " + e.at("reason").as_string() + "\n";
  return s;
}

inline std::string notes(const value& plugin) {
  std::string s;
  for (const auto& n : plugin.at("report").at("notes").as_array()) s += n.as_string() + "\n";
  return s;
}

/// How many of `hasPhoto` are true.
inline std::size_t withPhoto(const std::map<std::string, bool>& hasPhoto) {
  std::size_t n = 0;
  for (const auto& [k, v] : hasPhoto) n += v ? 1 : 0;
  return n;
}

/// idp-sim's truth from `/_admin/users`: the user's `keyField` ("id", "googleId") → has a photo.
inline std::map<std::string, bool> simPhotos(const value& adminUsers, const std::string& keyField) {
  std::map<std::string, bool> out;
  for (const auto& u : adminUsers.at("users").as_array())
    out[u.at(keyField).as_string()] = u.at("hasPhoto").as_bool();
  return out;
}

/// The host's avatars from `users list --json`: external id → "default" | "<origin>:<sha256>".
inline std::map<std::string, std::string> avatars(const std::string& usersListJson) {
  std::map<std::string, std::string> out;
  const value all = value::parse(usersListJson);
  for (const auto& u : all.as_array()) {
    const auto& a = u.at("avatar");
    const std::string o = a.at("origin").as_string();
    out[u.at("externalId").as_string()] = o == "default" ? o : o + ":" + a.at("sha256").as_string();
  }
  return out;
}

/// What idp-sim's `/_admin/counters` counted in `table` ("requests", "subrequests") for
/// `endpoint`, with `status` or any status ("").
inline std::uint64_t counted(const value& counters, const std::string& table, const std::string& endpoint,
                             const std::string& status = "") {
  if (!counters.has_field(table) || !counters.at(table).has_field(endpoint)) return 0;
  std::uint64_t n = 0;
  for (const auto& [k, v] : counters.at(table).at(endpoint).as_object())
    if (status.empty() || k == status) n += v.as_number().to_uint64();
  return n;
}

}  // namespace e2e_report
