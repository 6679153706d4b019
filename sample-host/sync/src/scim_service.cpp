// See scim_service.h. The protocol is done on JSON values: a PATCH turns the stored user into
// its SCIM resource, applies the operations to that resource, and stores the result as a
// replace — one code path for POST, PUT and PATCH.
#include "samplehost/sync/scim_service.h"

#include <cpprest/json.h>

#include <algorithm>
#include <cctype>

namespace samplehost::sync {
namespace {

using web::json::value;

constexpr const char* kUserSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
constexpr const char* kListSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
constexpr const char* kErrorSchema = "urn:ietf:params:scim:api:messages:2.0:Error";
constexpr const char* kPatchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
constexpr std::uint64_t kMaxPage = 200;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

ScimResponse error(int status, const std::string& scimType, const std::string& detail) {
  value e = value::object();
  e["schemas"] = value::array({value::string(kErrorSchema)});
  e["status"] = value::string(std::to_string(status));
  if (!scimType.empty()) e["scimType"] = value::string(scimType);
  e["detail"] = value::string(detail);
  return {status, e.serialize(), {}};
}

ScimResponse fromStatus(const hostapi::Status& s) {
  switch (s.code()) {
    case hostapi::StatusCode::kNotFound: return error(404, "", s.message());
    case hostapi::StatusCode::kAlreadyExists: return error(409, "uniqueness", s.message());
    case hostapi::StatusCode::kInvalidArgument: return error(400, "invalidValue", s.message());
    default: return error(500, "", "the host could not complete the request: " + s.message());
  }
}

/// Case-insensitive member lookup (SCIM attribute names are case-insensitive, RFC 7643 §2.1).
value* member(value& obj, const std::string& name) {
  if (!obj.is_object()) return nullptr;
  std::string want = lower(name);
  for (auto& kv : obj.as_object())
    if (lower(kv.first) == want) return &kv.second;
  return nullptr;
}
const value* member(const value& obj, const std::string& name) {
  return member(const_cast<value&>(obj), name);  // NOLINT: read-only use
}
std::string memberString(const value& obj, const std::string& name) {
  const value* v = member(obj, name);
  return v && v->is_string() ? v->as_string() : std::string();
}
void eraseMember(value& obj, const std::string& name) {
  if (!obj.is_object()) return;
  std::string want = lower(name);
  std::string found;
  for (auto& kv : obj.as_object())
    if (lower(kv.first) == want) found = kv.first;
  if (!found.empty()) obj.erase(found);
}
void setMember(value& obj, const std::string& name, const value& v) {
  eraseMember(obj, name);
  obj[name] = v;
}

/// Entra's provisioning sends booleans as "True"/"False" strings.
std::optional<bool> asBool(const value& v) {
  if (v.is_boolean()) return v.as_bool();
  if (v.is_string()) {
    std::string s = lower(v.as_string());
    if (s == "true") return true;
    if (s == "false") return false;
  }
  return std::nullopt;
}

/// `url` without the userinfo of its authority ("https://user:pw@host/p" -> "https://host/p"),
/// or unchanged when it has none. The authority runs from "//" to the first '/', '?' or '#'; its
/// userinfo ends at the LAST '@' in it (an '@' inside a password is sent percent-encoded, but a
/// parser that splits at the first one would leave the rest of the password in the host).
std::string withoutUserinfo(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const std::size_t start = scheme + 3;
  const std::size_t end = std::min(url.find_first_of("/?#", start), url.size());
  const auto at = url.rfind('@', end == 0 ? 0 : end - 1);
  if (at == std::string::npos || at < start) return url;
  return url.substr(0, start) + url.substr(at + 1);
}

/// `photos` as sent, with the userinfo of every `value` removed: a photo URL's user name and
/// password are never stored (docs/scim.md). The photo is kept: the host fetches it without
/// credentials, as it fetches every other photo URL.
value photosWithoutUserinfo(const value& photos) {
  value out = photos;
  for (auto& entry : out.as_array()) {
    value* v = member(entry, "value");
    if (v != nullptr && v->is_string()) {
      const std::string stripped = withoutUserinfo(v->as_string());
      if (stripped != v->as_string()) *v = value::string(stripped);
    }
  }
  return out;
}

/// The SCIM resource -> the host's import record. Keeps the multi-valued attributes as sent,
/// except the userinfo of photo URLs.
hostapi::Result<ImportedUser> importFromResource(const value& res) {
  if (!res.is_object()) return hostapi::invalidArgument("the body is not a JSON object");
  ImportedUser u;
  u.username = memberString(res, "userName");
  if (u.username.empty()) return hostapi::invalidArgument("userName is required");
  u.externalId = memberString(res, "externalId");
  u.displayName = memberString(res, "displayName");
  if (const value* a = member(res, "active")) {
    auto b = asBool(*a);
    if (!b) return hostapi::invalidArgument("active must be a boolean");
    u.active = *b;
  }
  if (const value* emails = member(res, "emails")) {
    if (!emails->is_array()) return hostapi::invalidArgument("emails must be an array");
    for (const auto& e : emails->as_array()) {
      std::string v = memberString(e, "value");
      const value* p = member(e, "primary");
      bool primary = p && asBool(*p).value_or(false);
      if (!v.empty() && (u.email.empty() || primary)) u.email = v;
    }
  }
  if (const value* photos = member(res, "photos"); photos && !photos->is_array())
    return hostapi::invalidArgument("photos must be an array");
  if (u.displayName.empty()) {
    if (const value* name = member(res, "name")) u.displayName = memberString(*name, "formatted");
  }
  u.attributes["userName"] = value::string(u.username).serialize();
  for (const char* key : {"emails", "photos", "name", "externalId"})
    if (const value* v = member(res, key); v && !v->is_null())
      u.attributes[key] = std::string(key) == "photos" ? photosWithoutUserinfo(*v).serialize() : v->serialize();
  return u;
}

value resourceOf(const hostapi::User& user, const std::string& baseUrl) {
  value r = value::object();
  r["schemas"] = value::array({value::string(kUserSchema)});
  r["id"] = value::string(user.id);
  if (!user.externalId.empty()) r["externalId"] = value::string(user.externalId);
  r["userName"] = value::string(user.username);
  if (!user.displayName.empty()) r["displayName"] = value::string(user.displayName);
  r["active"] = value::boolean(user.active);
  for (const char* key : {"emails", "photos", "name"}) {
    auto it = user.attributes.find(key);
    if (it == user.attributes.end()) continue;
    try {
      r[key] = value::parse(it->second);
    } catch (const std::exception&) {
      // A hand-edited store; leave the attribute out rather than fail the read.
    }
  }
  if (!r.has_field("emails") && !user.email.empty()) {
    value e = value::object();
    e["value"] = value::string(user.email);
    e["primary"] = value::boolean(true);
    r["emails"] = value::array({e});
  }
  value meta = value::object();
  meta["resourceType"] = value::string("User");
  meta["location"] = value::string(baseUrl + "/Users/" + user.id);
  r["meta"] = meta;
  return r;
}

/// Applies one PATCH operation to `res`. Supports paths "attr", "attr.sub", and
/// `attr[type eq "x"].sub` (what Entra and Okta send); no path = merge the value object.
hostapi::Status applyOperation(value& res, const value& op) {
  std::string kind = lower(memberString(op, "op"));
  if (kind != "add" && kind != "replace" && kind != "remove")
    return hostapi::invalidArgument("op must be add, replace or remove");
  std::string path = memberString(op, "path");
  const value* v = member(op, "value");
  if (path.empty()) {
    if (kind == "remove") return hostapi::invalidArgument("remove needs a path");
    if (!v || !v->is_object()) return hostapi::invalidArgument("an operation without a path needs an object value");
    for (const auto& kv : v->as_object()) {
      if (kv.first.find('.') != std::string::npos) {  // Okta: {"name.givenName": "x"}
        std::string top = kv.first.substr(0, kv.first.find('.'));
        std::string sub = kv.first.substr(kv.first.find('.') + 1);
        value* t = member(res, top);
        if (!t || !t->is_object()) { setMember(res, top, value::object()); t = member(res, top); }
        setMember(*t, sub, kv.second);
      } else {
        setMember(res, kv.first, kv.second);
      }
    }
    return {};
  }
  // Strip the schema URN prefix some clients send ("urn:...:User:active").
  if (path.rfind("urn:", 0) == 0) {
    auto colon = path.rfind(':');
    path = path.substr(colon + 1);
  }
  std::string attr = path, filterType, sub;
  if (auto lb = path.find('['); lb != std::string::npos) {
    auto rb = path.find(']', lb);
    if (rb == std::string::npos) return hostapi::invalidArgument("invalid path: " + path);
    attr = path.substr(0, lb);
    std::string filter = path.substr(lb + 1, rb - lb - 1);  // type eq "work"
    auto q1 = filter.find('"'), q2 = filter.rfind('"');
    if (lower(filter).rfind("type eq ", 0) != 0 || q1 == std::string::npos || q2 <= q1)
      return hostapi::invalidArgument("only [type eq \"...\"] filters are supported in a path");
    filterType = filter.substr(q1 + 1, q2 - q1 - 1);
    if (rb + 1 < path.size()) {
      if (path[rb + 1] != '.') return hostapi::invalidArgument("invalid path: " + path);
      sub = path.substr(rb + 2);
    }
  } else if (auto dot = path.find('.'); dot != std::string::npos) {
    attr = path.substr(0, dot);
    sub = path.substr(dot + 1);
  }
  if (lower(attr) == "id" || lower(attr) == "meta" || lower(attr) == "schemas")
    return {hostapi::StatusCode::kFailedPrecondition, attr + " is read-only"};
  if (kind != "remove" && !v) return hostapi::invalidArgument("the operation needs a value");

  if (filterType.empty() && sub.empty()) {
    if (kind == "remove") { eraseMember(res, attr); return {}; }
    value* cur = member(res, attr);
    if (kind == "add" && cur && cur->is_array() && v->is_array()) {
      for (const auto& e : v->as_array()) (*cur)[cur->as_array().size()] = e;
      return {};
    }
    setMember(res, attr, *v);
    return {};
  }
  if (filterType.empty()) {  // attr.sub on a complex attribute
    value* t = member(res, attr);
    if (kind == "remove") { if (t) eraseMember(*t, sub); return {}; }
    if (!t || !t->is_object()) { setMember(res, attr, value::object()); t = member(res, attr); }
    setMember(*t, sub, *v);
    return {};
  }
  // attr[type eq "x"](.sub) on a multi-valued attribute.
  value* list = member(res, attr);
  if (!list || !list->is_array()) {
    if (kind == "remove") return {};
    setMember(res, attr, value::array());
    list = member(res, attr);
  }
  value kept = value::array();
  std::size_t n = 0;
  bool found = false;
  for (auto& e : list->as_array()) {
    bool match = lower(memberString(e, "type")) == lower(filterType);
    if (match) {
      found = true;
      if (kind == "remove" && sub.empty()) continue;
      if (kind == "remove") eraseMember(e, sub);
      else if (sub.empty()) { if (v->is_object()) e = *v; }
      else setMember(e, sub, *v);
    }
    kept[n++] = e;
  }
  if (!found && kind != "remove") {
    value e = value::object();
    e["type"] = value::string(filterType);
    if (sub.empty()) { if (v->is_object()) for (const auto& kv : v->as_object()) e[kv.first] = kv.second; }
    else e[sub] = *v;
    kept[n++] = e;
  }
  setMember(res, attr, kept);
  return {};
}

std::optional<std::uint64_t> parseCount(const std::map<std::string, std::string>& q, const char* key) {
  auto it = q.find(key);
  if (it == q.end()) return std::nullopt;
  try {
    long long v = std::stoll(it->second);
    return v < 0 ? 0 : static_cast<std::uint64_t>(v);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

/// Parses `userName eq "value"` (the one filter IdPs use to look a user up before creating).
std::optional<std::string> userNameFilter(const std::string& filter) {
  std::string l = lower(filter);
  auto pos = l.find("username eq ");
  if (pos != 0) return std::nullopt;
  std::string rest = filter.substr(12);
  if (rest.size() < 2 || rest.front() != '"' || rest.back() != '"') return std::nullopt;
  std::string out;
  for (std::size_t i = 1; i + 1 < rest.size(); ++i) {
    if (rest[i] == '\\' && i + 2 < rest.size()) ++i;
    out += rest[i];
  }
  return out;
}

}  // namespace

std::string userToScimJson(const hostapi::User& user, const std::string& baseUrl) {
  return resourceOf(user, baseUrl).serialize();
}

ScimService::ScimService(ScimRepository& repo, std::string baseUrl) : repo_(repo), baseUrl_(std::move(baseUrl)) {}

ScimResponse ScimService::handle(const ScimRequest& req) {
  try {
    const std::string& auth = req.authorization;
    if (auth.size() <= 7 || lower(auth.substr(0, 7)) != "bearer ")
      return error(401, "", "a bearer token is required (Authorization: Bearer <token>)");
    auto dir = repo_.directoryForToken(auth.substr(7));
    if (!dir) return error(401, "", "the bearer token is not valid for any SCIM directory of this host");

    const std::string prefix = "/scim/v2/Users";
    std::string path = req.path;
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    if (path.rfind(prefix, 0) != 0 || (path.size() > prefix.size() && path[prefix.size()] != '/'))
      return error(404, "", "no such endpoint: only /scim/v2/Users is served");
    std::string id = path.size() > prefix.size() ? path.substr(prefix.size() + 1) : std::string();
    if (id.find('/') != std::string::npos) return error(404, "", "no such endpoint");

    auto parseBody = [&](value& out) -> std::optional<ScimResponse> {
      try {
        out = value::parse(req.body);
      } catch (const std::exception&) {
        return error(400, "invalidSyntax", "the body is not valid JSON");
      }
      if (!out.is_object()) return error(400, "invalidSyntax", "the body is not a JSON object");
      return std::nullopt;
    };
    auto respondUser = [&](int status, const hostapi::User& u) {
      ScimResponse r{status, userToScimJson(u, baseUrl_), {}};
      if (status == 201) r.location = baseUrl_ + "/Users/" + u.id;
      return r;
    };

    if (req.method == "GET" && id.empty()) {
      std::uint64_t start = std::max<std::uint64_t>(parseCount(req.query, "startIndex").value_or(1), 1);
      std::uint64_t count = std::min(parseCount(req.query, "count").value_or(100), kMaxPage);
      std::vector<hostapi::User> users;
      std::uint64_t total = 0;
      if (auto f = req.query.find("filter"); f != req.query.end()) {
        auto name = userNameFilter(f->second);
        if (!name) return error(400, "invalidFilter", "only the filter userName eq \"...\" is supported");
        auto found = repo_.findByUsername(*dir, *name);
        if (!found) return fromStatus(found.status());
        if (*found) {
          total = 1;
          if (start == 1 && count > 0) users.push_back(**found);
        }
      } else {
        auto listed = repo_.list(*dir, start - 1, count, total);
        if (!listed) return fromStatus(listed.status());
        users = std::move(*listed);
      }
      value body = value::object();
      body["schemas"] = value::array({value::string(kListSchema)});
      body["totalResults"] = value::number(static_cast<uint64_t>(total));
      body["startIndex"] = value::number(static_cast<uint64_t>(start));
      body["itemsPerPage"] = value::number(static_cast<uint64_t>(users.size()));
      value resources = value::array();
      std::size_t i = 0;
      for (const auto& u : users) resources[i++] = resourceOf(u, baseUrl_);
      body["Resources"] = resources;
      return {200, body.serialize(), {}};
    }
    if (req.method == "POST" && id.empty()) {
      value body;
      if (auto bad = parseBody(body)) return *bad;
      auto imported = importFromResource(body);
      if (!imported) return error(400, "invalidValue", imported.status().message());
      auto created = repo_.create(*dir, *imported);
      if (!created) return fromStatus(created.status());
      return respondUser(201, *created);
    }
    if (id.empty()) return error(405, "", "method not allowed on /Users");

    auto current = repo_.get(*dir, id);
    if (!current) return fromStatus(current.status());
    if (req.method == "GET") return respondUser(200, *current);
    if (req.method == "DELETE") {
      // Deprovisioning deactivates: the host keeps the user (and its history), never deletes.
      auto res = resourceOf(*current, baseUrl_);
      res["active"] = value::boolean(false);
      auto imported = importFromResource(res);
      if (!imported) return fromStatus(imported.status());
      auto done = repo_.replace(*dir, id, *imported);
      if (!done) return fromStatus(done.status());
      return {204, {}, {}};
    }
    if (req.method == "PUT" || req.method == "PATCH") {
      value body;
      if (auto bad = parseBody(body)) return *bad;
      value res;
      if (req.method == "PUT") {
        res = body;
      } else {
        const value* schemas = member(body, "schemas");
        bool isPatch = false;
        if (schemas && schemas->is_array())
          for (const auto& s : schemas->as_array()) isPatch = isPatch || (s.is_string() && s.as_string() == kPatchSchema);
        const value* ops = member(body, "Operations");
        if (!isPatch || !ops || !ops->is_array())
          return error(400, "invalidSyntax", "a PATCH body needs the PatchOp schema and an Operations array");
        res = resourceOf(*current, baseUrl_);
        for (const auto& op : ops->as_array()) {
          hostapi::Status s = applyOperation(res, op);
          if (s.code() == hostapi::StatusCode::kFailedPrecondition) return error(400, "mutability", s.message());
          if (!s.isOk()) return error(400, "invalidValue", s.message());
        }
      }
      auto imported = importFromResource(res);
      if (!imported) return error(400, "invalidValue", imported.status().message());
      auto done = repo_.replace(*dir, id, *imported);
      if (!done) return fromStatus(done.status());
      return respondUser(200, *done);
    }
    return error(405, "", "method not allowed");
  } catch (const std::exception& e) {
    return error(500, "", std::string("internal error: ") + e.what());
  } catch (...) {
    return error(500, "", "internal error");
  }
}

}  // namespace samplehost::sync
