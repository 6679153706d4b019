// One SCIM request to the host's `serve` endpoint, for the end-to-end tests that provision
// users over HTTP: checks the status and returns the parsed body (null when empty).
#pragma once

#include <gtest/gtest.h>

#include <cpprest/http_client.h>
#include <cpprest/json.h>

#include <string>

namespace e2e_scim {

inline web::json::value scimCall(web::http::client::http_client& c, const web::http::method& m,
                                 const std::string& path, const std::string& token,
                                 const std::string& body, int expectStatus) {
  web::http::http_request req(m);
  req.set_request_uri(path);
  req.headers().add("Authorization", "Bearer " + token);
  if (!body.empty()) req.set_body(body, "application/scim+json");
  auto resp = c.request(req).get();
  EXPECT_EQ(resp.status_code(), expectStatus) << m << " " << path;
  std::string text = resp.extract_string(true).get();
  return text.empty() ? web::json::value() : web::json::value::parse(text);
}

}  // namespace e2e_scim
