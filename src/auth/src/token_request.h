// Internal: the form POST to an OAuth token endpoint and reading its answer, shared by the Entra
// and Google flows. Not installed; not part of the API.
#pragma once

#include <chrono>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hostapi/status.h"
#include "photosync/auth/token_provider.h"
#include "photosync/http/client.h"

namespace photosync::auth::detail {

/// POSTs application/x-www-form-urlencoded `fields` with the options' retry policy. The body is
/// wiped after sending. Transport errors say "could not reach the <idp> token endpoint (<host>)".
hostapi::Result<http::Response> postForm(const TokenProviderOptions& options, const std::string& url,
                                         const std::vector<std::pair<std::string, std::string>>& fields,
                                         std::string_view idpName);

/// Reads {access_token, expires_in (number or string), token_type} of a 200 answer.
hostapi::Result<AccessToken> parseTokenAnswer(const http::Response& response,
                                              std::chrono::system_clock::time_point now,
                                              std::string_view idpName);

/// The first line of `text`, at most `max` characters.
std::string firstLine(std::string_view text, std::size_t max = 300);

/// Replaces every occurrence of each (non-trivial) secret in `message` with "[redacted]".
std::string redact(std::string message, std::initializer_list<std::string_view> secrets);

/// Status with the same code and a redacted message.
hostapi::Status redacted(const hostapi::Status& status, std::initializer_list<std::string_view> secrets);

/// A random id for a JWT "jti" (UUID v4 text).
std::string randomJwtId();

std::chrono::system_clock::time_point nowFrom(const TokenProviderOptions& options);

}  // namespace photosync::auth::detail
