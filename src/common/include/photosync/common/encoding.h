// Base64 in the three alphabets PhotoSync meets, and hex. Decoders take untrusted input: they
// return nullopt on anything malformed and never read past the input.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace photosync {

/// RFC 4648 §4 base64 with '=' padding.
std::string base64Encode(std::string_view bytes);
/// RFC 4648 §4. Padding required to a multiple of 4; whitespace (CR, LF, space, tab) is skipped,
/// as MIME and JSON producers insert it.
std::optional<std::string> base64Decode(std::string_view text);

/// RFC 4648 §5 base64url without padding (JWT).
std::string base64UrlEncode(std::string_view bytes);
/// RFC 4648 §5; padding optional.
std::optional<std::string> base64UrlDecode(std::string_view text);

/// Google's "web-safe" base64 as the Directory API writes UserPhoto.photoData: '-' and '_' for
/// '+' and '/', and '*' or '.' where standard base64 pads with '='. Also accepts '=' padding, no
/// padding, and the standard alphabet, since Google's clients are lenient in the same way.
std::optional<std::string> googleWebSafeBase64Decode(std::string_view text);
/// The inverse as Google writes it: '-', '_' and '*' padding.
std::string googleWebSafeBase64Encode(std::string_view bytes);

/// Lowercase hex.
std::string hexEncode(std::string_view bytes);

}  // namespace photosync
