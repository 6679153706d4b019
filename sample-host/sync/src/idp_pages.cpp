// See idp_pages.h.
#include "samplehost/sync/idp_pages.h"

#include <cpprest/json.h>

namespace samplehost::sync {
namespace {

using web::json::value;

const value* field(const value& obj, const char* key) {
  if (!obj.is_object() || !obj.has_field(key)) return nullptr;
  return &obj.at(key);
}
std::string stringField(const value& obj, const char* key) {
  const value* v = field(obj, key);
  return v && v->is_string() ? v->as_string() : std::string();
}
void keepAttribute(ImportedUser& u, const value& obj, const char* key) {
  if (const value* v = field(obj, key); v && !v->is_null()) u.attributes[key] = v->serialize();
}

hostapi::Result<value> parseObject(const std::string& body, const char* what) {
  try {
    value v = value::parse(body);
    if (!v.is_object()) return hostapi::unavailable(std::string(what) + ": the response is not a JSON object");
    return v;
  } catch (const std::exception&) {
    return hostapi::unavailable(std::string(what) + ": the response is not valid JSON");
  }
}

}  // namespace

hostapi::Result<ImportedPage> parseGraphUsersPage(const std::string& body) {
  auto parsed = parseObject(body, "Graph users page");
  if (!parsed) return parsed.status();
  const value& root = *parsed;
  const value* list = field(root, "value");
  if (!list || !list->is_array())
    return hostapi::unavailable("Graph users page: the response has no \"value\" array");
  ImportedPage page;
  for (const auto& entry : list->as_array()) {
    ImportedUser u;
    u.externalId = stringField(entry, "id");
    u.username = stringField(entry, "userPrincipalName");
    if (u.externalId.empty() || u.username.empty()) {
      ++page.skipped;
      continue;
    }
    u.email = stringField(entry, "mail");
    u.displayName = stringField(entry, "displayName");
    if (const value* en = field(entry, "accountEnabled"); en && en->is_boolean()) u.active = en->as_bool();
    keepAttribute(u, entry, "id");
    keepAttribute(u, entry, "userPrincipalName");
    keepAttribute(u, entry, "mail");
    page.users.push_back(std::move(u));
  }
  if (std::string next = stringField(root, "@odata.nextLink"); !next.empty()) page.next = next;
  return page;
}

hostapi::Result<ImportedPage> parseGoogleUsersPage(const std::string& body) {
  auto parsed = parseObject(body, "Google users page");
  if (!parsed) return parsed.status();
  const value& root = *parsed;
  ImportedPage page;
  if (const value* list = field(root, "users")) {
    if (!list->is_array()) return hostapi::unavailable("Google users page: \"users\" is not an array");
    for (const auto& entry : list->as_array()) {
      ImportedUser u;
      u.externalId = stringField(entry, "id");
      u.username = stringField(entry, "primaryEmail");
      if (u.externalId.empty() || u.username.empty()) {
        ++page.skipped;
        continue;
      }
      u.email = u.username;
      if (const value* name = field(entry, "name")) u.displayName = stringField(*name, "fullName");
      bool suspended = false, archived = false;
      if (const value* s = field(entry, "suspended"); s && s->is_boolean()) suspended = s->as_bool();
      if (const value* a = field(entry, "archived"); a && a->is_boolean()) archived = a->as_bool();
      u.active = !suspended && !archived;
      keepAttribute(u, entry, "id");
      keepAttribute(u, entry, "primaryEmail");
      keepAttribute(u, entry, "thumbnailPhotoEtag");
      keepAttribute(u, entry, "thumbnailPhotoUrl");
      page.users.push_back(std::move(u));
    }
  }
  if (std::string next = stringField(root, "nextPageToken"); !next.empty()) page.next = next;
  return page;
}

}  // namespace samplehost::sync
