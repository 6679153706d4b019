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
// The common case, whole quanta of four digits, takes a fast path that writes three bytes at a
// time into a buffer sized up front (a 17 KB photo's base64 in a Graph $batch answer is 23 KB,
// and appending byte by byte with the checks per character was 3.4% of the host's CPU in the
// first sync); anything else (whitespace, padding, a bad character) goes through the general
// loop one character at a time, which keeps every check of before.
std::optional<std::string> decode(std::string_view in, const std::array<signed char, 256>& table,
                                  Pad padding) {
  std::string out(in.size() / 4 * 3 + 3, '\0');
  char* o = out.data();
  std::size_t n = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t len = in.size();
  std::uint32_t acc = 0;
  int digits = 0;      // digits in the current quantum
  int pads = 0;        // pad characters seen
  std::size_t total = 0;  // digits + pads, for the multiple-of-4 check
  std::size_t i = 0;
  while (i < len) {
    if (digits == 0 && pads == 0) {
      for (; i + 4 <= len; i += 4) {
        const int a = table[p[i]], b = table[p[i + 1]], c = table[p[i + 2]], d = table[p[i + 3]];
        if ((a | b | c | d) < 0) break;  // not four digits: the general loop takes it
        const auto v = static_cast<std::uint32_t>((a << 18) | (b << 12) | (c << 6) | d);
        o[n] = static_cast<char>((v >> 16) & 0xFF);
        o[n + 1] = static_cast<char>((v >> 8) & 0xFF);
        o[n + 2] = static_cast<char>(v & 0xFF);
        n += 3;
        total += 4;
      }
      if (i >= len) break;
    }
    const signed char d = table[p[i++]];
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
      o[n++] = static_cast<char>((acc >> 16) & 0xFF);
      o[n++] = static_cast<char>((acc >> 8) & 0xFF);
      o[n++] = static_cast<char>(acc & 0xFF);
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
    o[n++] = static_cast<char>((acc >> 4) & 0xFF);
  } else if (digits == 3) {
    if (acc & 0x3) return std::nullopt;
    o[n++] = static_cast<char>((acc >> 10) & 0xFF);
    o[n++] = static_cast<char>((acc >> 2) & 0xFF);
  }
  out.resize(n);
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
