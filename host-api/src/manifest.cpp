// The manifest parser: pugixml reads the XML, this file checks it against the format in
// docs/manifest.md and reports the first problem as "source:line:column: what is wrong".
#include "hostapi/manifest.h"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include <pugixml.hpp>

#include "hostapi/version.h"

namespace hostapi {
namespace {

// The largest number a version part may have: room for any real version, small enough that a
// typo such as "1.00000000000" is caught instead of wrapping around.
constexpr unsigned kMaxVersionPart = 65535;

constexpr std::size_t kMaxManifestBytes = 1024 * 1024;

/// A problem found while checking the tree. Thrown only inside this file (the checks read
/// top-down that way) and turned into a Status by parseManifest, which never throws.
struct ManifestProblem {
  std::size_t offset;  // byte offset into the input
  std::string what;
};

/// 1-based line and column of byte `offset` in `text`. Columns count characters (UTF-8 code
/// points), so a message matches what an editor shows.
std::pair<std::size_t, std::size_t> lineColumn(std::string_view text, std::size_t offset) {
  if (offset > text.size()) offset = text.size();
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((c & 0xC0) != 0x80) {  // not a UTF-8 continuation byte
      ++column;
    }
  }
  return {line, column};
}

std::string_view trim(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

bool isLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

/// Plugin key: [a-z0-9][a-z0-9.-]* (it names a folder and appears in logs).
bool isPluginKey(std::string_view s) {
  if (s.empty() || !isLowerAlnum(s.front())) return false;
  for (char c : s)
    if (!isLowerAlnum(c) && c != '.' && c != '-') return false;
  return true;
}

/// Page and field keys: [A-Za-z][A-Za-z0-9_.-]* (camelCase by convention).
bool isSettingKey(std::string_view s) {
  if (s.empty() || !isAlpha(s.front())) return false;
  for (char c : s)
    if (!isAlpha(c) && !isDigit(c) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

/// "1", "12" within 0..kMaxVersionPart; nullopt otherwise.
std::optional<unsigned> parseVersionPart(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  for (char c : s)
    if (!isDigit(c)) return std::nullopt;
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v > kMaxVersionPart) return std::nullopt;
  return v;
}

/// A plugin version: "1", "1.2", "1.2.3", each part 0..65535, optionally followed by
/// "-pre.release" or "+build" made of [0-9A-Za-z.-].
bool isPluginVersion(std::string_view s) {
  const auto suffixAt = s.find_first_of("-+");
  std::string_view core = s.substr(0, suffixAt);
  if (suffixAt != std::string_view::npos) {
    std::string_view suffix = s.substr(suffixAt + 1);
    if (suffix.empty()) return false;
    for (char c : suffix)
      if (!isAlpha(c) && !isDigit(c) && c != '.' && c != '-' && c != '+') return false;
  }
  int parts = 0;
  while (true) {
    const auto dot = core.find('.');
    if (!parseVersionPart(core.substr(0, dot))) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    core.remove_prefix(dot + 1);
  }
  return parts <= 3;
}

/// pugixml reports an element left open at the end of the input as an end-tag mismatch at the
/// last byte; a real mismatch points at the name just after "</".
bool isEndOfFileMismatch(const pugi::xml_parse_result& r, std::string_view text) {
  const auto o = static_cast<std::size_t>(r.offset);
  return r.status == pugi::status_end_element_mismatch &&
         (o < 2 || o > text.size() || text.substr(o - 2, 2) != "</");
}

/// pugixml reports an unclosed comment or CDATA section where it gave up (often the end of the
/// input); the reader needs where the section began.
std::size_t sectionStart(std::string_view text, std::size_t at, std::string_view opener) {
  const auto start = text.substr(0, std::min(at + opener.size(), text.size())).rfind(opener);
  return start == std::string_view::npos ? at : start;
}

/// Why pugixml stopped, in words that point at the fix.
std::string describeXmlError(const pugi::xml_parse_result& r, std::string_view text) {
  switch (r.status) {
    case pugi::status_ok: return "ok";
    case pugi::status_file_not_found:
    case pugi::status_io_error: return "cannot read the input";
    case pugi::status_out_of_memory: return "out of memory while parsing";
    case pugi::status_internal_error: return "internal XML parser error";
    case pugi::status_unrecognized_tag: return "malformed XML: unrecognised markup after '<'";
    case pugi::status_bad_pi: return "malformed XML: bad processing instruction or XML declaration";
    case pugi::status_bad_comment: return "malformed XML: bad comment (<!-- ... --> not closed?)";
    case pugi::status_bad_cdata: return "malformed XML: bad CDATA section";
    case pugi::status_bad_doctype: return "malformed XML: bad DOCTYPE";
    case pugi::status_bad_pcdata: return "malformed XML: bad text content";
    case pugi::status_bad_start_element: return "malformed XML: bad start tag";
    case pugi::status_bad_attribute:
      return "malformed XML: bad attribute (name=\"value\" expected, quotes closed)";
    case pugi::status_bad_end_element: return "malformed XML: bad end tag";
    case pugi::status_end_element_mismatch: {
      if (isEndOfFileMismatch(r, text))
        return "malformed XML: end of file reached before every element was closed";
      // pugixml points at the closing tag's name; quote it so the reader finds it.
      std::string_view rest = text.substr(static_cast<std::size_t>(r.offset));
      const auto end = rest.find_first_of("> \t\r\n");
      return "malformed XML: end tag </" + std::string(rest.substr(0, end)) +
             "> does not match the open element";
    }
    case pugi::status_append_invalid_root: return "malformed XML: invalid root";
    case pugi::status_no_document_element: return "empty document: expected a <plugin> element";
  }
  return "malformed XML";
}

class ManifestReader {
 public:
  explicit ManifestReader(std::string_view text) : text_(text) {}

  Manifest read(const pugi::xml_document& doc) {
    pugi::xml_node root;
    for (pugi::xml_node n : doc.children()) {
      if (n.type() != pugi::node_element) continue;
      if (!root) {
        root = n;
        base_ = n.name() - n.offset_debug();
      } else {
        fail(n, "only one root element is allowed; found <" + std::string(n.name()) +
                    "> after <" + root.name() + ">");
      }
    }
    if (!root) throw ManifestProblem{0, "empty document: expected a <plugin> element"};
    if (std::string_view(root.name()) != "plugin")
      fail(root, "root element must be <plugin>, not <" + std::string(root.name()) + ">");
    return readPlugin(root);
  }

 private:
  [[noreturn]] void fail(const pugi::xml_node& n, std::string what) const {
    throw ManifestProblem{offsetOf(n), std::move(what)};
  }
  [[noreturn]] void fail(const pugi::xml_attribute& a, std::string what) const {
    throw ManifestProblem{offsetOf(a), std::move(what)};
  }
  /// A problem with an attribute's value points at the value, not at its name.
  [[noreturn]] void failValue(const pugi::xml_attribute& a, std::string what) const {
    throw ManifestProblem{valueOffsetOf(a), std::move(what)};
  }

  /// A problem with text points at its first non-blank character, not at the line break
  /// before it.
  [[noreturn]] void failText(const pugi::xml_node& text, std::string what) const {
    const std::string_view v = text.value();
    const std::size_t blanks = std::min(v.find_first_not_of(" \t\r\n"), v.size());
    throw ManifestProblem{pointerOffset(text.value()) + blanks, std::move(what)};
  }

  /// An element's position is its '<'; offset_debug() gives the name just after it.
  std::size_t offsetOf(const pugi::xml_node& n) const {
    const std::ptrdiff_t o = n.offset_debug();
    if (o < 0) return 0;
    if (n.type() == pugi::node_element && o > 0) return static_cast<std::size_t>(o - 1);
    return static_cast<std::size_t>(o);
  }
  // pugixml has no offset_debug() for attributes; their names and values point into the same
  // parse buffer as element names, whose start base_ is.
  std::size_t offsetOf(const pugi::xml_attribute& a) const { return pointerOffset(a.name()); }
  std::size_t valueOffsetOf(const pugi::xml_attribute& a) const {
    return pointerOffset(a.value());
  }
  std::size_t pointerOffset(const char* p) const {
    if (base_ == nullptr || p < base_ || p > base_ + text_.size()) return 0;
    return static_cast<std::size_t>(p - base_);
  }

  static std::string tag(const pugi::xml_node& n) { return "<" + std::string(n.name()) + ">"; }

  /// Fails on any attribute not in `allowed`, and on any child element not in `children`:
  /// a typo must not silently drop a setting.
  void checkShape(const pugi::xml_node& n, std::initializer_list<std::string_view> allowed,
                  std::initializer_list<std::string_view> children) const {
    for (pugi::xml_attribute a : n.attributes()) {
      bool known = false;
      for (auto k : allowed) known = known || k == a.name();
      if (!known) fail(a, "unknown attribute '" + std::string(a.name()) + "' on " + tag(n));
    }
    for (pugi::xml_node c : n.children()) {
      if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) {
        if (children.size() != 0 && !trim(c.value()).empty())
          failText(c, "unexpected text inside " + tag(n));
        continue;
      }
      if (c.type() != pugi::node_element) continue;
      bool known = false;
      for (auto k : children) known = known || k == c.name();
      if (!known) fail(c, "unknown element " + tag(c) + " inside " + tag(n));
    }
  }

  pugi::xml_attribute requiredAttr(const pugi::xml_node& n, const char* name) const {
    pugi::xml_attribute a = n.attribute(name);
    if (!a) fail(n, tag(n) + " is missing the required attribute '" + name + "'");
    if (trim(a.value()).empty()) failValue(a, "attribute '" + std::string(name) + "' of " +
                                                   tag(n) + " must not be empty");
    return a;
  }

  /// The one child `name` of `n`, or a null node; fails when it appears twice.
  pugi::xml_node single(const pugi::xml_node& n, const char* name, bool required) const {
    pugi::xml_node found;
    for (pugi::xml_node c : n.children(name)) {
      if (found) fail(c, "duplicate " + tag(c) + " inside " + tag(n));
      found = c;
    }
    if (!found && required) fail(n, tag(n) + " is missing the required element <" + name + ">");
    return found;
  }

  /// The trimmed text of an element that holds only text.
  std::string textOf(const pugi::xml_node& n, bool required) const {
    std::string text;
    for (pugi::xml_node c : n.children()) {
      if (c.type() == pugi::node_element) fail(c, tag(n) + " must hold text, not " + tag(c));
      if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) text += c.value();
    }
    std::string t(trim(text));
    if (required && t.empty()) fail(n, tag(n) + " must not be empty");
    return t;
  }

  /// An element that carries only attributes.
  void requireEmpty(const pugi::xml_node& n) const {
    if (!textOf(n, false).empty()) fail(n, tag(n) + " must be empty (it takes attributes only)");
  }

  bool boolAttr(const pugi::xml_node& n, const char* name, bool fallback) const {
    pugi::xml_attribute a = n.attribute(name);
    if (!a) return fallback;
    const std::string_view v = a.value();
    if (v == "true") return true;
    if (v == "false") return false;
    failValue(a, "attribute '" + std::string(name) + "' of " + tag(n) +
                     " must be \"true\" or \"false\", not \"" + std::string(v) + "\"");
  }

  std::optional<double> numberAttr(const pugi::xml_node& n, const char* name) const {
    pugi::xml_attribute a = n.attribute(name);
    if (!a) return std::nullopt;
    auto v = parseDecimal(a.value());
    if (!v) failValue(a, "attribute '" + std::string(name) + "' of " + tag(n) +
                             " must be a number, not \"" + a.value() + "\"");
    return v;
  }

  ApiVersion apiVersionAttr(const pugi::xml_node& n, const char* name) const {
    pugi::xml_attribute a = requiredAttr(n, name);
    const std::string_view v = a.value();
    const auto dot = v.find('.');
    std::optional<unsigned> major, minor;
    if (dot != std::string_view::npos) {
      major = parseVersionPart(v.substr(0, dot));
      minor = parseVersionPart(v.substr(dot + 1));
    }
    if (!major || !minor)
      failValue(a, "attribute '" + std::string(name) + "' of " + tag(n) +
                       " must be MAJOR.MINOR with each part a number from 0 to " +
                       std::to_string(kMaxVersionPart) + ", not \"" + std::string(v) + "\"");
    return {*major, *minor};
  }

  Manifest readPlugin(const pugi::xml_node& root) {
    checkShape(root, {"key", "interface"},
               {"name", "vendor", "version", "host-api", "module", "permissions", "settings"});
    Manifest m;
    pugi::xml_attribute key = requiredAttr(root, "key");
    m.key = key.value();
    if (!isPluginKey(m.key))
      failValue(key, "plugin key \"" + m.key +
                         "\" is not valid: use lower-case letters, digits, '.' and '-', "
                         "starting with a letter or digit");
    pugi::xml_attribute iface = requiredAttr(root, "interface");
    m.interfaceId = iface.value();
    {
      const auto slash = m.interfaceId.rfind('/');
      if (slash == std::string::npos || slash == 0 ||
          !parseVersionPart(std::string_view(m.interfaceId).substr(slash + 1)))
        failValue(iface, "interface \"" + m.interfaceId +
                             "\" is not valid: expected NAME/MAJOR, e.g. \"" +
                             kPluginInterfaceId + "\"");
    }

    m.name = textOf(single(root, "name", true), true);
    if (pugi::xml_node vendor = single(root, "vendor", false)) m.vendor = textOf(vendor, false);
    pugi::xml_node version = single(root, "version", true);
    m.version = textOf(version, true);
    if (!isPluginVersion(m.version))
      fail(version, "<version> \"" + m.version +
                        "\" is not valid: expected MAJOR[.MINOR[.PATCH]][-suffix], e.g. 1.2.0");

    pugi::xml_node api = single(root, "host-api", true);
    checkShape(api, {"min", "max"}, {});
    requireEmpty(api);
    m.apiMin = apiVersionAttr(api, "min");
    m.apiMax = apiVersionAttr(api, "max");
    if (m.apiMin > m.apiMax)
      failValue(api.attribute("min"), "<host-api> min " + versionText(m.apiMin) +
                                     " is greater than max " + versionText(m.apiMax));

    pugi::xml_node module = single(root, "module", true);
    m.module = textOf(module, true);
    if (m.module.find_first_of("/\\") != std::string::npos || m.module == "." ||
        m.module.find("..") != std::string::npos || m.module.front() == '-')
      fail(module, "<module> \"" + m.module +
                       "\" must be a plain file name in the manifest's folder "
                       "(no '/', '\\' or '..')");

    if (pugi::xml_node perms = single(root, "permissions", false)) {
      checkShape(perms, {}, {"permission"});
      for (pugi::xml_node p : perms.children("permission")) m.permissions.push_back(readPermission(p));
    }
    if (pugi::xml_node settings = single(root, "settings", false)) {
      checkShape(settings, {}, {"page"});
      std::set<std::string> pageKeys;
      for (pugi::xml_node p : settings.children("page")) {
        PageConnection connection;
        PageDescriptor page = readPage(p, m.apiMax, connection);
        if (!pageKeys.insert(page.key).second)
          failValue(p.attribute("key"), "duplicate page key \"" + page.key + "\"");
        if (!connection.mirrors.empty()) m.connections.push_back(std::move(connection));
        m.pages.push_back(std::move(page));
      }
    }
    return m;
  }

  static std::string versionText(ApiVersion v) {
    return std::to_string(v.major) + "." + std::to_string(v.minor);
  }

  Permission readPermission(const pugi::xml_node& n) const {
    checkShape(n, {"provider", "name", "kind"}, {});
    Permission p;
    pugi::xml_attribute provider = requiredAttr(n, "provider");
    p.provider = provider.value();
    if (!isSettingKey(p.provider))
      failValue(provider, "permission provider \"" + p.provider +
                              "\" is not valid: expected a word such as graph, google or scim");
    p.name = trim(requiredAttr(n, "name").value());
    if (pugi::xml_attribute kind = n.attribute("kind")) p.kind = trim(kind.value());
    p.reason = textOf(n, false);
    return p;
  }

  PageDescriptor readPage(const pugi::xml_node& n, ApiVersion apiMax, PageConnection& connection) const {
    checkShape(n, {"key", "kind", "title"}, {"field"});
    PageDescriptor page;
    pugi::xml_attribute key = requiredAttr(n, "key");
    page.key = key.value();
    if (!isSettingKey(page.key))
      failValue(key, "page key \"" + page.key +
                         "\" is not valid: use letters, digits, '_', '.' and '-', "
                         "starting with a letter");
    pugi::xml_attribute kind = requiredAttr(n, "kind");
    auto k = parseDirectoryKind(kind.value());
    if (!k)
      failValue(kind, "unknown page kind \"" + std::string(kind.value()) +
                          "\": expected entra, google or scim");
    page.kind = *k;
    page.title = trim(requiredAttr(n, "title").value());

    std::vector<pugi::xml_node> shownWhenNodes;
    for (pugi::xml_node f : n.children("field")) {
      FieldDescriptor field = readField(f);
      if (page.field(field.key))
        failValue(f.attribute("key"), "duplicate field key \"" + field.key + "\" in page \"" +
                                          page.key + "\"");
      if (pugi::xml_attribute mirror = f.attribute("connection")) {
        // 1.3: the field mirrors a directory connection setting. A plugin that says it was built
        // for an older host could not read the host's credential source (connection.h).
        if (apiMax < ApiVersion{1, 3})
          fail(mirror, "attribute 'connection' needs <host-api max=\"1.3\"> or later (this "
                       "manifest's max is " + versionText(apiMax) + ")");
        const std::string target = mirror.value();
        if (!isSettingKey(target))
          failValue(mirror, "connection key \"" + target + "\" of field \"" + field.key +
                                "\" is not valid: use letters, digits, '_', '.' and '-', "
                                "starting with a letter");
        for (const auto& other : connection.mirrors)
          if (other.connectionKey == target)
            failValue(mirror, "fields \"" + other.fieldKey + "\" and \"" + field.key +
                                  "\" both mirror connection key \"" + target + "\"");
        connection.pageKey = page.key;
        connection.mirrors.push_back({field.key, target});
      }
      page.fields.push_back(std::move(field));
      shownWhenNodes.push_back(f.child("shown-when"));
    }
    // A rule may name a field declared further down, so rules are resolved once the page is read.
    for (std::size_t i = 0; i < page.fields.size(); ++i) {
      const FieldDescriptor& field = page.fields[i];
      if (!field.shownWhen) continue;
      const pugi::xml_node rule = shownWhenNodes[i];
      const pugi::xml_attribute ref = rule.attribute("field");
      const FieldDescriptor* target = page.field(field.shownWhen->fieldKey);
      if (!target)
        failValue(ref, "<shown-when> of field \"" + field.key + "\" refers to unknown field \"" +
                           field.shownWhen->fieldKey + "\" in page \"" + page.key + "\"");
      if (target == &field)
        failValue(ref, "<shown-when> of field \"" + field.key + "\" refers to the field itself");
      const pugi::xml_attribute equals = rule.attribute("equals");
      if (target->type == FieldType::kSelect && !hasOption(*target, field.shownWhen->equals))
        failValue(equals, "<shown-when> compares field \"" + target->key + "\" with \"" +
                              field.shownWhen->equals + "\", which is not one of its options");
      if (target->type == FieldType::kToggle && field.shownWhen->equals != "true" &&
          field.shownWhen->equals != "false")
        failValue(equals, "<shown-when> compares toggle \"" + target->key +
                              "\" with \"" + field.shownWhen->equals +
                              "\": expected \"true\" or \"false\"");
      if (target->type == FieldType::kSecret)
        failValue(ref, "<shown-when> cannot depend on secret field \"" + target->key + "\"");
    }
    // Rules must not form a loop, or no field of the loop could ever be decided.
    for (std::size_t i = 0; i < page.fields.size(); ++i) {
      const FieldDescriptor* f = &page.fields[i];
      for (std::size_t steps = 0; f && f->shownWhen; ++steps) {
        if (steps > page.fields.size())
          failValue(shownWhenNodes[i].attribute("field"),
                    "<shown-when> rules of field \"" + page.fields[i].key + "\" form a loop");
        f = page.field(f->shownWhen->fieldKey);
      }
    }
    return page;
  }

  static bool hasOption(const FieldDescriptor& f, const std::string& value) {
    for (const auto& o : f.options)
      if (o.value == value) return true;
    return false;
  }

  FieldDescriptor readField(const pugi::xml_node& n) const {
    checkShape(n, {"key", "type", "label", "default", "required", "min", "max", "connection"},
               {"caption", "option", "shown-when"});
    FieldDescriptor f;
    pugi::xml_attribute key = requiredAttr(n, "key");
    f.key = key.value();
    if (!isSettingKey(f.key))
      failValue(key, "field key \"" + f.key +
                         "\" is not valid: use letters, digits, '_', '.' and '-', "
                         "starting with a letter");
    pugi::xml_attribute type = requiredAttr(n, "type");
    auto t = parseFieldType(type.value());
    if (!t)
      failValue(type, "unknown field type \"" + std::string(type.value()) +
                          "\": expected toggle, text, secret, select, number, url or multiline");
    f.type = *t;
    f.label = trim(requiredAttr(n, "label").value());
    f.required = boolAttr(n, "required", false);
    if (pugi::xml_node caption = single(n, "caption", false)) f.caption = textOf(caption, false);

    for (pugi::xml_node o : n.children("option")) {
      if (f.type != FieldType::kSelect)
        fail(o, "<option> is allowed only in a select field; field \"" + f.key + "\" is " +
                    fieldTypeName(f.type));
      checkShape(o, {"value"}, {});
      pugi::xml_attribute value = o.attribute("value");
      if (!value) fail(o, "<option> is missing the required attribute 'value'");
      FieldOption opt{value.value(), textOf(o, false)};
      if (opt.label.empty()) opt.label = opt.value;
      if (hasOption(f, opt.value))
        failValue(value, "duplicate option \"" + opt.value + "\" in field \"" + f.key + "\"");
      f.options.push_back(std::move(opt));
    }
    if (f.type == FieldType::kSelect && f.options.empty())
      fail(n, "select field \"" + f.key + "\" has no <option>");

    for (const char* bound : {"min", "max"}) {
      pugi::xml_attribute a = n.attribute(bound);
      if (a && f.type != FieldType::kNumber)
        fail(a, "attribute '" + std::string(bound) + "' is allowed only on a number field");
    }
    f.min = numberAttr(n, "min");
    f.max = numberAttr(n, "max");
    if (f.min && f.max && *f.min > *f.max)
      failValue(n.attribute("min"), "min of field \"" + f.key + "\" is greater than its max");

    if (pugi::xml_node rule = single(n, "shown-when", false)) {
      checkShape(rule, {"field", "equals"}, {});
      requireEmpty(rule);
      ShownWhen sw;
      sw.fieldKey = requiredAttr(rule, "field").value();
      pugi::xml_attribute equals = rule.attribute("equals");
      if (!equals) fail(rule, "<shown-when> is missing the required attribute 'equals'");
      sw.equals = equals.value();
      f.shownWhen = std::move(sw);
    }

    if (pugi::xml_attribute def = n.attribute("default")) {
      f.defaultValue = def.value();
      checkDefault(f, def);
    }
    return f;
  }

  void checkDefault(const FieldDescriptor& f, const pugi::xml_attribute& def) const {
    const std::string& v = *f.defaultValue;
    const std::string where = "default of field \"" + f.key + "\"";
    switch (f.type) {
      case FieldType::kToggle:
        if (v != "true" && v != "false")
          failValue(def, where + " must be \"true\" or \"false\", not \"" + v + "\"");
        break;
      case FieldType::kSelect:
        if (!hasOption(f, v))
          failValue(def, where + " \"" + v + "\" is not one of its options");
        break;
      case FieldType::kNumber: {
        auto n = parseDecimal(v);
        if (!n) failValue(def, where + " must be a number, not \"" + v + "\"");
        if (f.min && *n < *f.min)
          failValue(def, where + " " + v + " is below its min");
        if (f.max && *n > *f.max)
          failValue(def, where + " " + v + " is above its max");
        break;
      }
      case FieldType::kUrl:
        if (Status s = checkHttpUrl(v); !s) failValue(def, where + ": " + s.message());
        break;
      case FieldType::kSecret:
        // A default secret would ship the same credential to every installation.
        failValue(def, "a secret field cannot have a default (field \"" + f.key + "\")");
        break;
      case FieldType::kText:
        if (v.find_first_of("\r\n") != std::string::npos)
          failValue(def, where + " must be a single line");
        break;
      case FieldType::kMultiline:
        break;
    }
  }

  std::string_view text_;
  const char* base_ = nullptr;
};

}  // namespace

Result<Manifest> parseManifest(std::string_view xml, const std::string& sourceName) {
  const auto located = [&](std::size_t offset, const std::string& what) {
    auto [line, column] = lineColumn(xml, offset);
    return invalidArgument(sourceName + ":" + std::to_string(line) + ":" +
                           std::to_string(column) + ": " + what);
  };
  try {
    if (trim(xml).empty()) return located(0, "empty document: expected a <plugin> element");
    pugi::xml_document doc;
    // load_buffer copies the text, so element and attribute pointers map 1:1 onto offsets in xml.
    const pugi::xml_parse_result r =
        doc.load_buffer(xml.data(), xml.size(), pugi::parse_default | pugi::parse_doctype,
                        pugi::encoding_utf8);
    if (r.status != pugi::status_ok) {
      // An element left open is found at the end of the input: point just past its last byte.
      // A mismatched end tag: point at its "</", not at the name after it.
      std::size_t at = static_cast<std::size_t>(r.offset);
      if (isEndOfFileMismatch(r, xml))
        at = xml.size();
      else if (r.status == pugi::status_end_element_mismatch)
        at -= 2;
      else if (r.status == pugi::status_bad_comment || r.status == pugi::status_bad_cdata)
        at = sectionStart(xml, at, r.status == pugi::status_bad_comment ? "<!--" : "<![CDATA[");
      return located(at, describeXmlError(r, xml));
    }
    // pugixml never expands a DOCTYPE's entities, so one only makes `&a;` read as "&a;" where
    // the author meant something else. A manifest has no use for one: refused, where it starts.
    for (pugi::xml_node n = doc.first_child(); n; n = n.next_sibling()) {
      if (n.type() != pugi::node_doctype) continue;
      const std::ptrdiff_t value = n.offset_debug();
      std::size_t at = xml.find("<!DOCTYPE");
      if (value >= 0) at = xml.rfind("<!DOCTYPE", static_cast<std::size_t>(value));
      return located(at == std::string_view::npos ? 0 : at,
                     "a DOCTYPE is not allowed in a manifest (its entities would not be expanded)");
    }
    ManifestReader reader(xml);
    return reader.read(doc);
  } catch (const ManifestProblem& p) {
    return located(p.offset, p.what);
  } catch (const std::exception& e) {
    return internalError(sourceName + ": cannot parse the manifest: " + e.what());
  } catch (...) {
    return internalError(sourceName + ": cannot parse the manifest");
  }
}

Result<Manifest> loadManifestFile(const std::string& path) {
  try {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::error_code ec(errno, std::generic_category());
      return notFound(path + ": cannot read: " + ec.message());
    }
    // Read in chunks (istreambuf_iterator trips GCC 12's -Wnull-dereference) and cap the size:
    // a manifest is a few kilobytes, anything huge is not one.
    std::string text;
    char chunk[16384];
    while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
      text.append(chunk, static_cast<std::size_t>(in.gcount()));
      if (text.size() > kMaxManifestBytes)
        return invalidArgument(path + ": not a manifest: larger than " +
                               std::to_string(kMaxManifestBytes / 1024) + " KiB");
    }
    if (in.bad()) return notFound(path + ": cannot read: I/O error");
    return parseManifest(text, path);
  } catch (const std::exception& e) {
    return notFound(path + ": cannot read: " + e.what());
  }
}

}  // namespace hostapi
