// idp-sim's own text encodings: base64 in the three forms the simulated services write (RFC 4648
// §4 for Graph $batch bodies and data: URIs, §5 base64url for tokens and page tokens, Google's
// web-safe base64 for photoData) and lowercase hex. idp-sim is the tests' oracle, so it shares
// no encoding code with the plugin it checks: a bug made twice would pass every test.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace idpsim {

/// RFC 4648 §4: '+' '/', padded with '=' to a multiple of 4.
std::string base64Encode(std::string_view bytes);

/// RFC 4648 §5 base64url, unpadded (JWS, idp-sim's tokens and page tokens).
std::string base64UrlEncode(std::string_view bytes);
/// RFC 4648 §5 with or without '=' padding. nullopt for any other character, padding that is not
/// at the end or does not complete the last group, a lone final digit, or non-zero spare bits
/// (only one text decodes to given bytes, so a tampered token cannot pass as another's).
std::optional<std::string> base64UrlDecode(std::string_view text);

/// Google's web-safe base64 as the Directory API sends UserPhoto.photoData: '-' and '_' for '+'
/// and '/', and '*' where RFC 4648 pads with '=' (Google documents '.' as padding too; idp-sim
/// writes '*').
std::string googleWebSafeBase64Encode(std::string_view bytes);

/// Lowercase hex, two digits per byte.
std::string hexEncode(std::string_view bytes);

}  // namespace idpsim
