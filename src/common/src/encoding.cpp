#include "photosync/common/encoding.h"

#include <array>
#include <cstdint>

namespace photosync {
namespace {

constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(std::string_view in, const char* alphabet, char pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  const auto* b = reinterpret_cast<const unsigned char*>(in.data());
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t v = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  const std::size_t rest = in.size() - i;
  if (rest > 0) {
    std::uint32_t v = b[i] << 16;
    if (rest == 2) v |= b[i + 1] << 8;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (rest == 2) out += alphabet[(v >> 6) & 63];
    if (pad) {
      out += (rest == 2) ? std::string(1, pad) : std::string(2, pad);
    }
  }
  return out;
}

enum class Pad { kRequired, kOptional };

// Decodes with a 256-entry table: 0..63 digit, -1 invalid, -2 pad, -3 skip (whitespace).
std::optional<std::string> decode(std::string_view in, const std::array<signed char, 256>& table,
                                  Pad padding) {
  std::string out;
  out.reserve(in.size() / 4 * 3 + 3);
  std::uint32_t acc = 0;
  int digits = 0;      // digits in the current quantum
  int pads = 0;        // pad characters seen
  std::size_t total = 0;  // digits + pads, for the multiple-of-4 check
  for (unsigned char c : in) {
    const signed char d = table[c];
    if (d == -3) continue;
    if (d == -1) return std::nullopt;
    if (d == -2) {
      ++pads;
      ++total;
      continue;
    }
    if (pads) return std::nullopt;  // digit after padding
    acc = (acc << 6) | static_cast<std::uint32_t>(d);
    ++digits;
    ++total;
    if (digits == 4) {
      out += static_cast<char>((acc >> 16) & 0xFF);
      out += static_cast<char>((acc >> 8) & 0xFF);
      out += static_cast<char>(acc & 0xFF);
      acc = 0;
      digits = 0;
    }
  }
  if (pads > 2) return std::nullopt;
  if (pads && digits + pads != 4) return std::nullopt;
  if (padding == Pad::kRequired && total % 4 != 0) return std::nullopt;
  if (digits == 1) return std::nullopt;
  if (digits == 2) {
    if (acc & 0xF) return std::nullopt;  // non-canonical trailing bits
    out += static_cast<char>((acc >> 4) & 0xFF);
  } else if (digits == 3) {
    if (acc & 0x3) return std::nullopt;
    out += static_cast<char>((acc >> 10) & 0xFF);
    out += static_cast<char>((acc >> 2) & 0xFF);
  }
  return out;
}

std::array<signed char, 256> makeTable(const char* alphabet, std::string_view pads,
                                       std::string_view skips, const char* alsoAlphabet = nullptr) {
  std::array<signed char, 256> t{};
  t.fill(-1);
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<signed char>(i);
  if (alsoAlphabet)
    for (int i = 0; i < 64; ++i)
      t[static_cast<unsigned char>(alsoAlphabet[i])] = static_cast<signed char>(i);
  for (char p : pads) t[static_cast<unsigned char>(p)] = -2;
  for (char s : skips) t[static_cast<unsigned char>(s)] = -3;
  return t;
}

}  // namespace

std::string base64Encode(std::string_view bytes) { return encode(bytes, kStd, '='); }

std::optional<std::string> base64Decode(std::string_view text) {
  static const auto table = makeTable(kStd, "=", " \t\r\n");
  return decode(text, table, Pad::kRequired);
}

std::string base64UrlEncode(std::string_view bytes) { return encode(bytes, kUrl, 0); }

std::optional<std::string> base64UrlDecode(std::string_view text) {
  static const auto table = makeTable(kUrl, "=", "");
  return decode(text, table, Pad::kOptional);
}

std::optional<std::string> googleWebSafeBase64Decode(std::string_view text) {
  static const auto table = makeTable(kUrl, "=*.", " \t\r\n", kStd);
  return decode(text, table, Pad::kOptional);
}

std::string googleWebSafeBase64Encode(std::string_view bytes) { return encode(bytes, kUrl, '*'); }

std::string hexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace photosync
