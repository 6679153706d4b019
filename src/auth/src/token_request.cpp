#include "token_request.h"

#include "photosync/common/crypto.h"
#include "photosync/common/encoding.h"
#include "photosync/common/text.h"
#include "photosync/http/json.h"
#include "photosync/http/retry.h"
#include "photosync/http/url.h"

namespace photosync::auth::detail {

hostapi::Result<http::Response> postForm(const TokenProviderOptions& options, const std::string& url,
                                         const std::vector<std::pair<std::string, std::string>>& fields,
                                         std::string_view idpName) {
  if (!options.transport) return hostapi::internalError("no HTTP transport for the token provider");
  auto parts = http::parseUrl(url);
  if (!parts) return hostapi::invalidArgument(std::string("the ") + std::string(idpName) +
                                              " token endpoint is not a valid URL: " + parts.status().message());
  http::Request request;
  request.method = "POST";
  request.url = url;
  request.timeout = options.requestTimeout;
  request.maxResponseBytes = 1u << 20;
  request.headers.add("Content-Type", "application/x-www-form-urlencoded");
  request.headers.add("Accept", "application/json");
  request.body = http::formEncode(fields);
  auto response = http::sendWithRetry(*options.transport, request, options.retry, options.stats, options.cancelled);
  secureWipe(request.body);
  if (!response) {
    const auto& st = response.status();
    if (st.code() == hostapi::StatusCode::kCancelled) return st;
    return hostapi::Status(st.code(), "could not reach the " + std::string(idpName) + " token endpoint (" +
                                          http::hostForDisplay(*parts) + "): " + st.message());
  }
  return response;
}

hostapi::Result<AccessToken> parseTokenAnswer(const http::Response& response,
                                              std::chrono::system_clock::time_point now,
                                              std::string_view idpName) {
  const std::string who = "the " + std::string(idpName) + " token endpoint";
  auto json = http::parseJson(response.body);
  if (!json || !json->is_object()) return hostapi::unavailable(who + " answered 200 without a JSON object");
  auto token = http::getString(*json, "access_token");
  if (!token || token->empty()) return hostapi::unavailable(who + " answered 200 without an access_token");
  if (auto type = http::getString(*json, "token_type"); type) {
    if (!equalsIgnoreCase(*type, "bearer")) return hostapi::unavailable(who + " issued a token of type '" + firstLine(*type, 40) + "', not Bearer");
  }
  std::int64_t expiresIn = 3600;  // RFC 6749 makes it optional; both IdPs send it
  if (auto n = http::getInt64(*json, "expires_in")) {
    expiresIn = *n;
  } else if (auto s = http::getString(*json, "expires_in")) {  // Entra v1 and some proxies send a string
    try {
      expiresIn = std::stoll(*s);
    } catch (...) {
      return hostapi::unavailable(who + " sent an invalid expires_in");
    }
  }
  if (expiresIn <= 0 || expiresIn > 7 * 24 * 3600) return hostapi::unavailable(who + " sent an implausible expires_in");
  return AccessToken{std::move(*token), now + std::chrono::seconds(expiresIn)};
}

std::string firstLine(std::string_view text, std::size_t max) {
  const auto end = text.find_first_of("\r\n");
  std::string line(text.substr(0, end));
  if (line.size() > max) line = line.substr(0, max) + "...";
  return line;
}

std::string redact(std::string message, std::initializer_list<std::string_view> secrets) {
  for (auto secret : secrets) {
    if (secret.size() < 4) continue;  // redacting "a" would mangle every message
    for (auto pos = message.find(secret); pos != std::string::npos; pos = message.find(secret, pos))
      message.replace(pos, secret.size(), "[redacted]");
  }
  return message;
}

hostapi::Status redacted(const hostapi::Status& status, std::initializer_list<std::string_view> secrets) {
  if (status.isOk()) return status;
  return hostapi::Status(status.code(), redact(status.message(), secrets));
}

std::string randomJwtId() {
  std::string b = randomBytes(16);
  b[6] = static_cast<char>((static_cast<unsigned char>(b[6]) & 0x0F) | 0x40);
  b[8] = static_cast<char>((static_cast<unsigned char>(b[8]) & 0x3F) | 0x80);
  const std::string h = hexEncode(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

std::chrono::system_clock::time_point nowFrom(const TokenProviderOptions& options) {
  return options.now ? options.now() : std::chrono::system_clock::now();
}

}  // namespace photosync::auth::detail
