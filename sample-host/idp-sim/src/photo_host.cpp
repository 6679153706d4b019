// A plain photo host for SCIM `photos` URLs (RFC 7643 §4.1.2: the value is a URL of an image
// file): GET/HEAD with ETag and Last-Modified, conditional GET → 304, optional redirects; and
// the RFC 7643-shaped User resources that point at it.
#include "sim.h"

#include "codec.h"

#include <ctime>

namespace idpsim {

using web::json::value;

namespace {

constexpr std::int64_t kEpoch = 1700000000;  // fixed, so Last-Modified is deterministic

std::int64_t parseHttpDate(const std::string& s) {
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end) return -1;
  return static_cast<std::int64_t>(timegm(&tm));
}

}  // namespace

Response Sim::photoHost(Request& r, std::string& endpoint) {
  RuntimeConfig cfg = config();
  const auto& s = r.segments;
  auto text = [](int status, const std::string& body) {
    Response resp;
    resp.status = status;
    resp.body = body;
    resp.set("Content-Type", "text/plain; charset=utf-8");
    return resp;
  };
  if (r.method != "GET" && r.method != "HEAD") {
    Response resp = text(405, "Method Not Allowed\n");
    resp.set("Allow", "GET, HEAD");
    return resp;
  }
  if (s.size() < 2 || s.size() > 3) return text(404, "Not Found\n");
  std::string type = s.size() == 3 ? s[2] : "photo";
  if (type != "photo" && type != "thumbnail") return text(404, "Not Found\n");
  endpoint = type == "photo" ? "host.photo" : "host.thumbnail";
  if (s[0] == "photos" && cfg.redirect != 0) {
    Response resp = text(cfg.redirect, "Moved\n");
    resp.set("Location", cfg.baseUrl + "/photo-store/" + percentEncode(s[1]) + "/" + type);
    endpoint += ".redirect";
    return resp;
  }
  auto idx = directory_.findAny(s[1]);
  if (!idx) return text(404, "Not Found\n");
  PhotoState ps = directory_.photoState(*idx);
  if (ps.revision == 0) return text(404, "Not Found\n");
  int size = type == "thumbnail" ? std::min(96, ps.size) : ps.size;
  auto photo = directory_.photo(*idx, size, ps.format);
  if (!photo) return text(404, "Not Found\n");
  std::string etag = "\"" + directory_.photoTag(*idx) + (type == "thumbnail" ? "-t" : "-p") + "\"";
  std::int64_t lastModified = kEpoch + static_cast<std::int64_t>(ps.revision) * 86400 + (*idx % 86400);
  Response resp;
  resp.set("ETag", etag);
  resp.set("Last-Modified", httpDate(lastModified));
  resp.set("Cache-Control", "public, max-age=3600");
  std::string inm = r.header("if-none-match");
  bool notModified = false;
  if (!inm.empty()) {
    notModified = inm == "*" || inm.find(etag) != std::string::npos ||
                  inm.find("W/" + etag) != std::string::npos;
  } else if (std::string ims = r.header("if-modified-since"); !ims.empty()) {
    std::int64_t t = parseHttpDate(ims);
    notModified = t >= 0 && lastModified <= t;
  }
  if (notModified) {
    resp.status = 304;
    return resp;
  }
  resp.status = 200;
  resp.set("Content-Type", photo->contentType);
  resp.body = photo->bytes;
  return resp;
}

value scimUser(Sim& /*sim*/, Directory& dir, std::uint32_t index, const std::string& base) {
  UserInfo u = dir.user(index);
  PhotoState ps = dir.photoState(index);
  value o = value::object(true);
  value schemas = value::array(1);
  schemas[0] = value::string("urn:ietf:params:scim:schemas:core:2.0:User");
  o["schemas"] = schemas;
  o["externalId"] = value::string(u.id);
  o["userName"] = value::string(u.upn);
  value name = value::object(true);
  name["formatted"] = value::string(u.displayName);
  name["familyName"] = value::string(u.surname);
  name["givenName"] = value::string(u.givenName);
  o["name"] = name;
  o["displayName"] = value::string(u.displayName);
  o["active"] = value::boolean(true);
  value emails = value::array(1);
  value e = value::object(true);
  e["value"] = value::string(u.upn);
  e["type"] = value::string("work");
  e["primary"] = value::boolean(true);
  emails[0] = e;
  o["emails"] = emails;
  if (ps.revision != 0) {
    value photo = value::object(true);
    photo["value"] = value::string(base + "/photos/" + u.id + "/photo");
    photo["type"] = value::string("photo");
    value thumb = value::object(true);
    // Some IdPs inline the thumbnail as a data: URI (RFC 2397); every fifth user does here.
    if (index % 5 == 3) {
      auto t = dir.photo(index, std::min(96, ps.size), ps.format);
      if (t) thumb["value"] = value::string("data:" + t->contentType + ";base64," + base64Encode(t->bytes));
    }
    if (!thumb.has_field("value")) thumb["value"] = value::string(base + "/photos/" + u.id + "/thumbnail");
    thumb["type"] = value::string("thumbnail");
    value photos = value::array(2);
    if (index % 7 == 5) {  // thumbnail listed first and no "primary": clients must pick by type
      photos[0] = thumb;
      photos[1] = photo;
    } else {
      photo["primary"] = value::boolean(true);
      photos[0] = photo;
      photos[1] = thumb;
    }
    o["photos"] = photos;
  }
  return o;
}

}  // namespace idpsim
