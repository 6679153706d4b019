// samplehost::net base64url — RFC 4648 §5 without padding, the encoding of JSON Web Tokens
// (the host signs its own sign-in assertions) and of certificate thumbprints.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace samplehost::net {

std::string base64UrlEncode(std::string_view bytes);
/// Padding optional; nullopt for any other character or an impossible length.
std::optional<std::string> base64UrlDecode(std::string_view text);

}  // namespace samplehost::net
