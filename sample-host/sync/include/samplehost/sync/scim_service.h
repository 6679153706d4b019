// The sample host's SCIM 2.0 service provider (RFC 7643/7644), Users only: an IdP provisions
// users INTO the host through `/scim/v2/Users`. ScimService is the protocol (pure request ->
// response, testable without a socket); ScimServer binds it to a cpprestsdk http_listener on
// 127.0.0.1. Users are stored through ScimRepository; `photos`, `emails`, `name` are kept as the
// IdP sent them (JSON text in hostapi::User::attributes). DELETE deactivates, never deletes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hostapi/status.h"
#include "hostapi/user.h"
#include "samplehost/sync/idp_pages.h"

namespace samplehost::sync {

/// Where SCIM-provisioned users live (the host's store). Calls are quick and thread-safe.
class ScimRepository {
 public:
  virtual ~ScimRepository() = default;
  /// The SCIM directory whose bearer token this is; NOT_FOUND (or UNAUTHENTICATED) otherwise.
  /// Implementations compare in constant time.
  virtual hostapi::Result<hostapi::DirectoryInfo> directoryForToken(const std::string& bearerToken) = 0;
  /// ALREADY_EXISTS when the directory has a user with this username.
  virtual hostapi::Result<hostapi::User> create(const hostapi::DirectoryInfo& dir, const ImportedUser& user) = 0;
  virtual hostapi::Result<hostapi::User> get(const hostapi::DirectoryInfo& dir, const std::string& id) = 0;
  virtual hostapi::Result<std::optional<hostapi::User>> findByUsername(const hostapi::DirectoryInfo& dir,
                                                                       const std::string& username) = 0;
  /// Users of the directory ordered by id, from `offset`, at most `limit`; `total` gets the count.
  virtual hostapi::Result<std::vector<hostapi::User>> list(const hostapi::DirectoryInfo& dir, std::uint64_t offset,
                                                           std::uint64_t limit, std::uint64_t& total) = 0;
  /// Replaces the user's attributes (same host id). NOT_FOUND / ALREADY_EXISTS (username taken).
  virtual hostapi::Result<hostapi::User> replace(const hostapi::DirectoryInfo& dir, const std::string& id,
                                                 const ImportedUser& user) = 0;
};

struct ScimRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // decoded, without query, e.g. "/scim/v2/Users/abc"
  std::map<std::string, std::string> query;  // decoded
  std::string authorization;  // the Authorization header, may be empty
  std::string body;
};

struct ScimResponse {
  int status = 200;
  std::string body;      // JSON (application/scim+json); empty for 204
  std::string location;  // for 201
};

class ScimService {
 public:
  /// `baseUrl` e.g. "http://127.0.0.1:8080/scim/v2" (for meta.location).
  ScimService(ScimRepository& repo, std::string baseUrl);
  /// Never throws; every error is a SCIM error envelope.
  ScimResponse handle(const ScimRequest& req);

 private:
  ScimRepository& repo_;
  std::string baseUrl_;
};

/// The SCIM resource for a stored user (JSON text).
std::string userToScimJson(const hostapi::User& user, const std::string& baseUrl);

/// Listens on 127.0.0.1:`port` (0 = any free port) and serves ScimService.
class ScimServer {
 public:
  ScimServer(ScimRepository& repo, std::uint16_t port);
  ~ScimServer();
  ScimServer(const ScimServer&) = delete;
  ScimServer& operator=(const ScimServer&) = delete;
  /// Binds and starts; the bound port is port() afterwards.
  hostapi::Status start();
  void stop();
  std::uint16_t port() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace samplehost::sync
