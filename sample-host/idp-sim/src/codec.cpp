#include "codec.h"

#include <cstdint>

namespace idpsim {
namespace {

// The 62 letters and digits every alphabet shares, then the two that differ.
struct Alphabet {
  char d62, d63;
  char pad;  // '\0' = unpadded
};
constexpr Alphabet kRfc4648{'+', '/', '='};
constexpr Alphabet kBase64Url{'-', '_', '\0'};
constexpr Alphabet kGoogleWebSafe{'-', '_', '*'};

char digitChar(unsigned v, const Alphabet& a) {
  if (v < 26) return static_cast<char>('A' + v);
  if (v < 52) return static_cast<char>('a' + (v - 26));
  if (v < 62) return static_cast<char>('0' + (v - 52));
  return v == 62 ? a.d62 : a.d63;
}

// Bits go into an accumulator and leave it six at a time, most significant first.
std::string encodeWith(std::string_view bytes, const Alphabet& a) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(digitChar((acc >> bits) & 0x3F, a));
    }
    acc &= (1u << bits) - 1;  // keep only the bits not yet written
  }
  if (bits > 0) out.push_back(digitChar((acc << (6 - bits)) & 0x3F, a));
  if (a.pad != '\0')
    while (out.size() % 4 != 0) out.push_back(a.pad);
  return out;
}

// -1 for anything that is not a base64url digit.
int urlDigitValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

std::string base64Encode(std::string_view bytes) { return encodeWith(bytes, kRfc4648); }

std::string base64UrlEncode(std::string_view bytes) { return encodeWith(bytes, kBase64Url); }

std::string googleWebSafeBase64Encode(std::string_view bytes) { return encodeWith(bytes, kGoogleWebSafe); }

std::optional<std::string> base64UrlDecode(std::string_view text) {
  std::size_t digits = text.size();
  while (digits > 0 && text[digits - 1] == '=') --digits;
  const std::size_t pads = text.size() - digits;
  // Padding only completes the last group of four; a group of one digit carries no whole byte.
  if (pads > 2 || digits % 4 == 1) return std::nullopt;
  if (pads > 0 && (digits + pads) % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(digits * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    const int v = urlDigitValue(text[i]);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
      acc &= (1u << bits) - 1;
    }
  }
  if (acc != 0) return std::nullopt;  // the spare bits of the last digit must be zero
  return out;
}

std::string hexEncode(std::string_view bytes) {
  constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 0x0F];
  }
  return out;
}

}  // namespace idpsim
