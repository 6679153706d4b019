#include "provision.h"

#include <cpprest/http_client.h>
#include <cpprest/json.h>

#include <iostream>
#include <string>
#include <vector>

namespace idpsim {
namespace {

using web::json::value;
namespace http = web::http;

struct ProvisionArgs {
  std::string sim, target, token;
  long offset = 0, limit = 100, deactivate = 0;
  bool patchPhotos = false;
};

void usage() {
  std::cerr << "usage: idp-sim provision --sim http://127.0.0.1:PORT --target SCIM_BASE_URL --token TOKEN\n"
               "                         [--offset N] [--limit N] [--patch-photos] [--deactivate N]\n"
               "Pushes GET {sim}/_admin/scim-users to {target}/Users: POST each (PUT when it exists, found by\n"
               "filter=userName eq \"...\"), optionally PATCHes photos, then deactivates the first N with\n"
               "PATCH active=false. Prints one JSON summary line; exit 0 when nothing failed.\n";
}

http::http_request scimRequest(const http::method& m, const std::string& path, const std::string& token) {
  http::http_request req(m);
  req.set_request_uri(path);
  req.headers().add("Authorization", "Bearer " + token);
  req.headers().add("Accept", "application/scim+json, application/json");
  return req;
}

}  // namespace

int runProvision(int argc, char** argv) {
  ProvisionArgs a;
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument("missing value for " + k);
      return argv[++i];
    };
    try {
      if (k == "--sim") a.sim = next();
      else if (k == "--target") a.target = next();
      else if (k == "--token") a.token = next();
      else if (k == "--offset") a.offset = std::stol(next());
      else if (k == "--limit") a.limit = std::stol(next());
      else if (k == "--deactivate") a.deactivate = std::stol(next());
      else if (k == "--patch-photos") a.patchPhotos = true;
      else if (k == "--help" || k == "-h") { usage(); return 0; }
      else { std::cerr << "idp-sim provision: unknown option " << k << "\n"; usage(); return 2; }
    } catch (const std::exception& e) {
      std::cerr << "idp-sim provision: " << e.what() << "\n";
      return 2;
    }
  }
  if (a.sim.empty() || a.target.empty()) {
    usage();
    return 2;
  }
  while (!a.target.empty() && a.target.back() == '/') a.target.pop_back();
  long created = 0, updated = 0, patched = 0, deactivated = 0, failed = 0;
  try {
    http::client::http_client sim(a.sim);
    auto listResp = sim.request(http::methods::GET, "/_admin/scim-users?hashes=false&offset=" + std::to_string(a.offset) +
                                                       "&limit=" + std::to_string(a.limit)).get();
    value list = listResp.extract_json(true).get();
    http::client::http_client target(a.target);
    std::vector<std::string> ids;
    for (const auto& user : list.at("Resources").as_array()) {
      std::string userName = user.at("userName").as_string();
      auto post = scimRequest(http::methods::POST, "/Users", a.token);
      post.set_body(user.serialize(), "application/scim+json");
      auto resp = target.request(post).get();
      std::string id;
      if (resp.status_code() == 201 || resp.status_code() == 200) {
        value body = resp.extract_json(true).get();
        if (body.has_field("id") && body.at("id").is_string()) id = body.at("id").as_string();
        ++created;
      } else if (resp.status_code() == 409) {
        auto find = scimRequest(http::methods::GET,
                                "/Users?filter=" + web::uri::encode_data_string("userName eq \"" + userName + "\""), a.token);
        value found = target.request(find).get().extract_json(true).get();
        if (found.has_field("Resources") && found.at("Resources").is_array() && found.at("Resources").size() > 0)
          id = found.at("Resources").as_array().at(0).at("id").as_string();
        if (!id.empty()) {
          auto put = scimRequest(http::methods::PUT, "/Users/" + id, a.token);
          value full = user;
          full["id"] = value::string(id);
          put.set_body(full.serialize(), "application/scim+json");
          auto pr = target.request(put).get();
          if (pr.status_code() == 200) ++updated;
          else { ++failed; std::cerr << "PUT " << userName << ": HTTP " << pr.status_code() << "\n"; }
        } else {
          ++failed;
          std::cerr << "POST " << userName << ": conflict, and the existing user was not found by filter\n";
        }
      } else {
        ++failed;
        std::cerr << "POST " << userName << ": HTTP " << resp.status_code() << " " << resp.extract_string(true).get() << "\n";
        continue;
      }
      if (!id.empty()) ids.push_back(id);
      if (a.patchPhotos && !id.empty()) {
        value op = value::object();
        op["op"] = value::string("replace");
        op["path"] = value::string("photos");
        op["value"] = user.has_field("photos") ? user.at("photos") : value::array();
        value ops = value::array(1);
        ops[0] = op;
        value patch = value::object();
        value schemas = value::array(1);
        schemas[0] = value::string("urn:ietf:params:scim:api:messages:2.0:PatchOp");
        patch["schemas"] = schemas;
        patch["Operations"] = ops;
        auto req = scimRequest(http::methods::PATCH, "/Users/" + id, a.token);
        req.set_body(patch.serialize(), "application/scim+json");
        auto pr = target.request(req).get();
        if (pr.status_code() == 200 || pr.status_code() == 204) ++patched;
        else { ++failed; std::cerr << "PATCH photos " << userName << ": HTTP " << pr.status_code() << "\n"; }
      }
    }
    for (long i = 0; i < a.deactivate && i < static_cast<long>(ids.size()); ++i) {
      value patch = value::parse(R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],)"
                                 R"("Operations":[{"op":"replace","path":"active","value":false}]})");
      auto req = scimRequest(http::methods::PATCH, "/Users/" + ids[static_cast<std::size_t>(i)], a.token);
      req.set_body(patch.serialize(), "application/scim+json");
      auto pr = target.request(req).get();
      if (pr.status_code() == 200 || pr.status_code() == 204) ++deactivated;
      else { ++failed; std::cerr << "PATCH active=false " << ids[static_cast<std::size_t>(i)] << ": HTTP " << pr.status_code() << "\n"; }
    }
  } catch (const std::exception& e) {
    std::cerr << "idp-sim provision: " << e.what() << "\n";
    ++failed;
  }
  std::cout << R"({"created":)" << created << R"(,"updated":)" << updated << R"(,"patched":)" << patched
            << R"(,"deactivated":)" << deactivated << R"(,"failed":)" << failed << "}" << std::endl;
  return failed == 0 ? 0 : 1;
}

}  // namespace idpsim
