// Lowercase hex of bytes, for the console's session ids, CSRF tokens and password hash fields.
#pragma once

#include <cstddef>
#include <string>

namespace samplehost::console {

inline std::string lowerHex(const unsigned char* p, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 15]);
  }
  return out;
}

}  // namespace samplehost::console
