#include "photosync/http/json.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <system_error>
#include <vector>

namespace photosync::http {
namespace {

// cpprest's parser recurses per nesting level; a hostile body of a million '[' would overflow the
// stack. No IdP answer we read nests deeper than a dozen levels.
constexpr int kMaxDepth = 128;

// The closing quote of the string whose opening quote is just before `p`, or nullptr when it is
// unterminated, found with memchr (a quote is escaped when an odd run of backslashes precedes it):
// a $batch answer is mostly the photos' base64 strings, and a loop one character at a time
// through them was 1.1% of the host's CPU in a first sync.
const char* closingQuote(const char* p, const char* end) {
  for (;;) {
    const auto* q = static_cast<const char*>(std::memchr(p, '"', static_cast<std::size_t>(end - p)));
    if (q == nullptr) return nullptr;
    std::size_t slashes = 0;
    while (q - slashes > p && q[-1 - static_cast<std::ptrdiff_t>(slashes)] == '\\') ++slashes;
    if (slashes % 2 == 0) return q;
    p = q + 1;
  }
}

bool nestingWithinLimit(std::string_view body) {
  int depth = 0;
  const char* p = body.data();
  const char* const end = p + body.size();
  while (p < end) {
    const char c = *p++;
    if (c == '"') {
      const char* q = closingQuote(p, end);
      if (q == nullptr) return true;  // an unterminated string: the parser says what is wrong
      p = q + 1;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

hostapi::Result<web::json::value> parseChecked(const utility::string_t& text) {
  try {
    std::error_code ec;
    auto v = web::json::value::parse(text, ec);
    if (ec) return hostapi::invalidArgument("the answer is not valid JSON: " + ec.message());
    return v;
  } catch (const std::exception& e) {
    return hostapi::invalidArgument(std::string("the answer is not valid JSON: ") + e.what());
  }
}

/// Whether cpprest reads [p, end) as these very bytes: no escape (backslash), no control
/// character (below 0x20) and no 0xFF (which it takes for the end of input); it keeps every
/// other byte as it is (checked for all 256 in the tests).
/// Eight bytes at a time (a check a character at a time cost as much as cpprest's own parse).
bool plainStringBytes(const char* p, const char* end) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  constexpr std::uint64_t kBackslash = kOnes * static_cast<unsigned char>('\\');
  for (; end - p >= 8; p += 8) {
    std::uint64_t x;
    std::memcpy(&x, p, 8);
    const std::uint64_t below20 = (x - kOnes * 0x20) & ~x & kHigh;  // a byte < 0x20
    const std::uint64_t b = x ^ kBackslash;
    const std::uint64_t slash = (b - kOnes) & ~b & kHigh;  // a byte == '\\'
    const std::uint64_t ff = (~x - kOnes) & x & kHigh;        // a byte == 0xFF
    if ((below20 | slash | ff) != 0) return false;
  }
  for (; p < end; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c < 0x20 || c == '\\' || c == 0xFF) return false;
  }
  return true;
}

/// Puts the lifted strings back where their placeholders ("\0" and the index) were parsed;
/// counts them. Depth is bounded by the nesting check.
void restoreLifted(web::json::value& v, std::vector<std::string>& lifted, std::size_t& restored) {
  if (v.is_string()) {
    const auto& s = v.as_string();
    if (s.size() < 2 || s[0] != '\0' || s.size() > 12) return;
    std::size_t k = 0;
    for (std::size_t i = 1; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return;
      k = k * 10 + static_cast<std::size_t>(s[i] - '0');
    }
    if (k >= lifted.size()) return;
    v = web::json::value::string(std::move(lifted[k]), false);  // no character to escape
    ++restored;
  } else if (v.is_array()) {
    for (auto& e : v.as_array()) restoreLifted(e, lifted, restored);
  } else if (v.is_object()) {
    for (auto& kv : v.as_object()) restoreLifted(kv.second, lifted, restored);
  }
}

}  // namespace

hostapi::Result<web::json::value> parseJson(std::string_view body) {
  if (!nestingWithinLimit(body))
    return hostapi::invalidArgument("the JSON is nested more than " + std::to_string(kMaxDepth) + " levels deep");
  return parseChecked(utility::string_t(body));
}

hostapi::Result<web::json::value> parseJsonLiftingLongStrings(std::string_view body, std::size_t minLength) {
  // The placeholders are strings holding a NUL: with no "\u0000" escape and no raw NUL in the
  // body, nothing else parses to one. Otherwise (or when anything below does not add up) the
  // plain parse decides, so the result and every error are parseJson's.
  if (minLength < 16 || body.find("\\u0000") != std::string_view::npos ||
      std::memchr(body.data(), '\0', body.size()) != nullptr || !nestingWithinLimit(body))
    return parseJson(body);
  std::string text;
  std::vector<std::string> lifted;
  const char* const begin = body.data();
  const char* const end = begin + body.size();
  const char* copied = begin;  // body up to here is in `text`
  char before = 0;             // the last character outside strings that is not whitespace
  const char* p = begin;
  while (p < end) {
    const char c = *p++;
    if (c != '"') {
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') before = c;
      continue;
    }
    const char* const open = p - 1;
    const char* const close = closingQuote(p, end);
    if (close == nullptr) return parseJson(body);  // unterminated: the plain parse says so
    p = close + 1;
    const auto length = static_cast<std::size_t>(close - open - 1);
    const bool isValue = before == ':';
    before = '"';
    if (!isValue || length < minLength) continue;
    if (!plainStringBytes(open + 1, close)) continue;
    if (text.empty()) text.reserve(4096);
    text.append(copied, open);
    text += "\"\\u0000";
    text += std::to_string(lifted.size());
    text += '"';
    lifted.emplace_back(open + 1, close);
    copied = close + 1;
  }
  if (lifted.empty()) return parseChecked(utility::string_t(body));
  text.append(copied, end);
  auto parsed = parseChecked(text);
  if (!parsed.isOk()) return parseJson(body);
  std::size_t restored = 0;
  restoreLifted(parsed.value(), lifted, restored);
  if (restored != lifted.size()) return parseJson(body);
  return parsed;
}

const web::json::value* getField(const web::json::value& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  const auto& o = obj.as_object();
  auto it = o.find(utility::string_t(key));
  if (it == o.end()) return nullptr;
  return &it->second;
}

std::optional<std::string> getString(const web::json::value& obj, std::string_view key) {
  const auto* v = getField(obj, key);
  if (!v || !v->is_string()) return std::nullopt;
  return v->as_string();
}

std::optional<std::int64_t> getInt64(const web::json::value& obj, std::string_view key) {
  const auto* v = getField(obj, key);
  if (!v || !v->is_number()) return std::nullopt;
  const auto& n = v->as_number();
  if (n.is_int64()) return n.to_int64();
  return std::nullopt;
}

std::optional<double> getNumber(const web::json::value& obj, std::string_view key) {
  const auto* v = getField(obj, key);
  if (!v || !v->is_number()) return std::nullopt;
  return v->as_double();
}

std::optional<bool> getBool(const web::json::value& obj, std::string_view key) {
  const auto* v = getField(obj, key);
  if (!v || !v->is_boolean()) return std::nullopt;
  return v->as_bool();
}

const web::json::value* getObject(const web::json::value& obj, std::string_view key) {
  const auto* v = getField(obj, key);
  return v && v->is_object() ? v : nullptr;
}

const web::json::array* getArray(const web::json::value& obj, std::string_view key) {
  const auto* v = getField(obj, key);
  return v && v->is_array() ? &v->as_array() : nullptr;
}

web::json::value jsonString(std::string_view utf8) { return web::json::value::string(utility::string_t(utf8)); }

std::string toJsonText(const web::json::value& v) { return v.serialize(); }

}  // namespace photosync::http
