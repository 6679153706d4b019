// The manifest parser: what a valid manifest yields, and for each kind of mistake the exact
// "source:line:column: what" the admin or plugin developer gets.
#include "hostapi/manifest.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

namespace hostapi {
namespace {

// Line 1: the <plugin> tag; lines 2-5 the required elements; line 6 the closing tag.
const std::string kValid =
    "<plugin key=\"demo\" interface=\"org.photosync.hostapi.Plugin/1\">\n"
    "  <name>Demo</name>\n"
    "  <version>1.0.0</version>\n"
    "  <host-api min=\"1.0\" max=\"1.0\"/>\n"
    "  <module>libdemo.so</module>\n"
    "</plugin>\n";

/// kValid with `from` replaced by `to` (which must occur).
std::string edit(const std::string& from, const std::string& to) {
  std::string s = kValid;
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

/// A manifest whose single page (line 7) holds `fields`, starting on line 8.
std::string withFields(const std::string& fields) {
  return edit("</plugin>\n",
              "  <settings>\n"
              "    <page key=\"p\" kind=\"entra\" title=\"P\">\n" +
                  fields +
                  "    </page>\n"
                  "  </settings>\n"
                  "</plugin>\n");
}

struct ErrorCase {
  const char* name;
  std::string xml;
  const char* position;  // "line:column"
  const char* what;      // a part of the message after the position
};

void expectError(const ErrorCase& c) {
  SCOPED_TRACE(c.name);
  auto r = parseManifest(c.xml, "test.xml");
  ASSERT_FALSE(r.isOk()) << "parsed although it should not";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  const std::string prefix = std::string("test.xml:") + c.position + ": ";
  EXPECT_EQ(r.status().message().rfind(prefix, 0), 0u) << r.status().message();
  EXPECT_NE(r.status().message().find(c.what), std::string::npos) << r.status().message();
}

TEST(ManifestParser, ParsesTheMinimalManifest) {
  auto r = parseManifest(kValid, "test.xml");
  ASSERT_TRUE(r.isOk()) << r.status().message();
  EXPECT_EQ(r->key, "demo");
  EXPECT_EQ(r->interfaceId, "org.photosync.hostapi.Plugin/1");
  EXPECT_EQ(r->name, "Demo");
  EXPECT_EQ(r->vendor, "");
  EXPECT_EQ(r->version, "1.0.0");
  EXPECT_EQ(r->apiMin, (ApiVersion{1, 0}));
  EXPECT_EQ(r->apiMax, (ApiVersion{1, 0}));
  EXPECT_EQ(r->module, "libdemo.so");
  EXPECT_TRUE(r->permissions.empty());
  EXPECT_TRUE(r->pages.empty());
}

TEST(ManifestParser, ParsesEveryElementAndAttribute) {
  const std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<!-- a comment -->\n"
      "<plugin key=\"acme.photos-2\" interface=\"org.photosync.hostapi.Plugin/1\">\n"
      "  <name> Acme Photos </name>\n"
      "  <vendor>Acme &amp; Co</vendor>\n"
      "  <version>2.3.4-rc.1</version>\n"
      "  <host-api min=\"1.0\" max=\"1.7\"/>\n"
      "  <module>libacme.so</module>\n"
      "  <permissions>\n"
      "    <permission provider=\"graph\" name=\"User.Read.All\" kind=\"application\">list "
      "users</permission>\n"
      "    <permission provider=\"google\" name=\"scope-x\"/>\n"
      "  </permissions>\n"
      "  <settings>\n"
      "    <page key=\"g\" kind=\"google\" title=\"Google page\">\n"
      "      <field key=\"on\" type=\"toggle\" label=\"On\" default=\"true\">\n"
      "        <caption>Turns it on.</caption>\n"
      "      </field>\n"
      "      <field key=\"mode\" type=\"select\" label=\"Mode\" default=\"b\" required=\"true\">\n"
      "        <option value=\"a\">Mode A</option>\n"
      "        <option value=\"b\"/>\n"
      "      </field>\n"
      "      <field key=\"n\" type=\"number\" label=\"N\" default=\"-1.5\" min=\"-2\" max=\"2\">\n"
      "        <shown-when field=\"mode\" equals=\"a\"/>\n"
      "      </field>\n"
      "      <field key=\"u\" type=\"url\" label=\"U\" default=\"https://example.com:8443/x\"/>\n"
      "      <field key=\"s\" type=\"secret\" label=\"S\"/>\n"
      "      <field key=\"m\" type=\"multiline\" label=\"M\"><caption><![CDATA[a <b>]]></caption>"
      "</field>\n"
      "    </page>\n"
      "    <page key=\"e\" kind=\"scim\" title=\"Empty\"/>\n"
      "  </settings>\n"
      "</plugin>\n";
  auto r = parseManifest(xml, "full.xml");
  ASSERT_TRUE(r.isOk()) << r.status().message();
  const Manifest& m = *r;
  EXPECT_EQ(m.key, "acme.photos-2");
  EXPECT_EQ(m.name, "Acme Photos");
  EXPECT_EQ(m.vendor, "Acme & Co");
  EXPECT_EQ(m.version, "2.3.4-rc.1");
  EXPECT_EQ(m.apiMax, (ApiVersion{1, 7}));
  ASSERT_EQ(m.permissions.size(), 2u);
  EXPECT_EQ(m.permissions[0].provider, "graph");
  EXPECT_EQ(m.permissions[0].name, "User.Read.All");
  EXPECT_EQ(m.permissions[0].kind, "application");
  EXPECT_EQ(m.permissions[0].reason, "list users");
  EXPECT_EQ(m.permissions[1].kind, "");
  EXPECT_EQ(m.permissions[1].reason, "");
  ASSERT_EQ(m.pages.size(), 2u);
  const PageDescriptor& g = m.pages[0];
  EXPECT_EQ(g.key, "g");
  EXPECT_EQ(g.kind, DirectoryKind::kGoogle);
  EXPECT_EQ(g.title, "Google page");
  ASSERT_EQ(g.fields.size(), 6u);
  EXPECT_EQ(g.fields[0].type, FieldType::kToggle);
  EXPECT_EQ(g.fields[0].caption, "Turns it on.");
  EXPECT_EQ(g.fields[0].defaultValue, "true");
  EXPECT_FALSE(g.fields[0].required);
  const FieldDescriptor& mode = g.fields[1];
  EXPECT_TRUE(mode.required);
  ASSERT_EQ(mode.options.size(), 2u);
  EXPECT_EQ(mode.options[0].value, "a");
  EXPECT_EQ(mode.options[0].label, "Mode A");
  EXPECT_EQ(mode.options[1].label, "b");  // no text: the value is the label
  const FieldDescriptor& n = g.fields[2];
  EXPECT_EQ(n.min, -2.0);
  EXPECT_EQ(n.max, 2.0);
  ASSERT_TRUE(n.shownWhen);
  EXPECT_EQ(n.shownWhen->fieldKey, "mode");
  EXPECT_EQ(n.shownWhen->equals, "a");
  EXPECT_EQ(g.fields[3].type, FieldType::kUrl);
  EXPECT_EQ(g.fields[4].type, FieldType::kSecret);
  EXPECT_FALSE(g.fields[4].defaultValue);
  EXPECT_EQ(g.fields[5].caption, "a <b>");
  EXPECT_EQ(m.pages[1].kind, DirectoryKind::kScim);
  EXPECT_TRUE(m.pages[1].fields.empty());
}

TEST(ManifestParser, MalformedXmlIsLocated) {
  const ErrorCase cases[] = {
      {"empty file", "", "1:1", "empty document"},
      {"only blanks", "  \n\n ", "1:1", "empty document"},
      {"only a declaration", "<?xml version=\"1.0\"?>\n", "2:1", "expected a <plugin> element"},
      {"unclosed tag", "<plugin key=\"demo\">\n  <name>Demo</name>\n", "3:1",
       "end of file reached before every element was closed"},
      {"bad token in a tag", "<plugin key=\"demo\" <name>", "1:20", "bad start tag"},
      {"mismatched end tag", "<plugin>\n  <name>x</nam>\n</plugin>", "2:10",
       "end tag </nam> does not match"},
      {"unclosed comment", "<plugin>\n<!-- x\n</plugin>", "2:1", "bad comment"},
      {"unclosed CDATA", "<plugin>\n  <name><![CDATA[x</name>\n</plugin>", "2:9", "bad CDATA"},
      {"attribute without quotes", "<plugin key=demo>", "1:13", "bad attribute"},
      {"wrong root", "<?xml version=\"1.0\"?>\n<manifest/>", "2:1",
       "root element must be <plugin>, not <manifest>"},
      {"second root", kValid + "<plugin/>\n", "7:1", "only one root element"},
      {"stray text", edit("  <module>", "  junk\n  <module>"), "5:3",
       "unexpected text inside <plugin>"},
  };
  for (const auto& c : cases) expectError(c);
}

// pugixml does not expand a DOCTYPE's entities, so a manifest with one showed "&a10;" as a
// display name; a DOCTYPE is refused where it starts, internal subset or not.
TEST(ManifestParser, ADoctypeIsRefusedWhereItStarts) {
  const ErrorCase cases[] = {
      {"entities", "<?xml version=\"1.0\"?>\n<!DOCTYPE plugin [ <!ENTITY a10 \"Demo\"> ]>\n" +
                       edit("<name>Demo</name>", "<name>&a10;</name>"),
       "2:1", "a DOCTYPE is not allowed in a manifest"},
      {"external", "<!DOCTYPE plugin SYSTEM \"file:///etc/passwd\">\n" + kValid, "1:1",
       "a DOCTYPE is not allowed in a manifest"},
      {"after a comment", "<!-- x -->\n  <!DOCTYPE plugin>\n" + kValid, "2:3",
       "a DOCTYPE is not allowed in a manifest"},
  };
  for (const auto& c : cases) expectError(c);
  EXPECT_TRUE(parseManifest(kValid, "test.xml").isOk()) << "the same manifest without one parses";
}

TEST(ManifestParser, MissingRequiredPartsAreLocated) {
  const ErrorCase cases[] = {
      {"no key", edit(" key=\"demo\"", ""), "1:1", "missing the required attribute 'key'"},
      {"empty key", edit("key=\"demo\"", "key=\"\""), "1:14", "'key' of <plugin> must not be empty"},
      {"no interface", edit(" interface=\"org.photosync.hostapi.Plugin/1\"", ""), "1:1",
       "missing the required attribute 'interface'"},
      {"no name", edit("  <name>Demo</name>\n", ""), "1:1",
       "missing the required element <name>"},
      {"empty name", edit("<name>Demo</name>", "<name> </name>"), "2:3",
       "<name> must not be empty"},
      {"no version", edit("  <version>1.0.0</version>\n", ""), "1:1",
       "missing the required element <version>"},
      {"no host-api", edit("  <host-api min=\"1.0\" max=\"1.0\"/>\n", ""), "1:1",
       "missing the required element <host-api>"},
      {"host-api without max", edit(" max=\"1.0\"", ""), "4:3",
       "<host-api> is missing the required attribute 'max'"},
      {"no module", edit("  <module>libdemo.so</module>\n", ""), "1:1",
       "missing the required element <module>"},
      {"page without title",
       edit("</plugin>\n", "  <settings>\n    <page key=\"p\" kind=\"entra\"/>\n  </settings>\n"
                           "</plugin>\n"),
       "7:5", "<page> is missing the required attribute 'title'"},
      {"page without key",
       edit("</plugin>\n", "  <settings>\n    <page kind=\"entra\" title=\"T\"/>\n  </settings>\n"
                           "</plugin>\n"),
       "7:5", "<page> is missing the required attribute 'key'"},
      {"field without label", withFields("      <field key=\"a\" type=\"text\"/>\n"), "8:7",
       "<field> is missing the required attribute 'label'"},
      {"field without type", withFields("      <field key=\"a\" label=\"A\"/>\n"), "8:7",
       "<field> is missing the required attribute 'type'"},
      {"option without value",
       withFields("      <field key=\"s\" type=\"select\" label=\"S\">\n"
                  "        <option>x</option>\n      </field>\n"),
       "9:9", "<option> is missing the required attribute 'value'"},
      {"shown-when without equals",
       withFields("      <field key=\"a\" type=\"text\" label=\"A\"/>\n"
                  "      <field key=\"b\" type=\"text\" label=\"B\">\n"
                  "        <shown-when field=\"a\"/>\n      </field>\n"),
       "10:9", "<shown-when> is missing the required attribute 'equals'"},
  };
  for (const auto& c : cases) expectError(c);
}

TEST(ManifestParser, BadAttributeValuesAreLocated) {
  const ErrorCase cases[] = {
      {"key with a blank", edit("key=\"demo\"", "key=\"Demo App\""), "1:14",
       "plugin key \"Demo App\" is not valid"},
      {"interface without major",
       edit("interface=\"org.photosync.hostapi.Plugin/1\"", "interface=\"org.x\""), "1:31",
       "interface \"org.x\" is not valid"},
      {"non-numeric min", edit("min=\"1.0\"", "min=\"1.x\""), "4:18",
       "'min' of <host-api> must be MAJOR.MINOR"},
      {"version without minor", edit("min=\"1.0\"", "min=\"1\""), "4:18",
       "'min' of <host-api> must be MAJOR.MINOR"},
      {"out-of-range max", edit("max=\"1.0\"", "max=\"1.70000\""), "4:28",
       "'max' of <host-api> must be MAJOR.MINOR with each part a number from 0 to 65535"},
      {"negative max", edit("max=\"1.0\"", "max=\"-1.0\""), "4:28", "must be MAJOR.MINOR"},
      {"min greater than max", edit("min=\"1.0\" max=\"1.0\"", "min=\"1.2\" max=\"1.1\""), "4:18",
       "min 1.2 is greater than max 1.1"},
      {"bad plugin version", edit("<version>1.0.0</version>", "<version>one</version>"), "3:3",
       "<version> \"one\" is not valid"},
      {"module with a slash", edit("libdemo.so", "lib/demo.so"), "5:3",
       "must be a plain file name"},
      {"module with ..", edit("libdemo.so", ".."), "5:3", "must be a plain file name"},
      {"unknown element", edit("  <module>", "  <vendr>x</vendr>\n  <module>"), "5:3",
       "unknown element <vendr> inside <plugin>"},
      {"unknown attribute", edit("key=\"demo\"", "key=\"demo\" lang=\"en\""), "1:20",
       "unknown attribute 'lang' on <plugin>"},
      {"text in host-api", edit("max=\"1.0\"/>", "max=\"1.0\">1.0</host-api>"), "4:3",
       "<host-api> must be empty"},
      {"duplicate name", edit("  <version>", "  <name>Again</name>\n  <version>"), "3:3",
       "duplicate <name> inside <plugin>"},
      {"unknown page kind",
       edit("</plugin>\n", "  <settings>\n    <page key=\"p\" kind=\"ldap\" title=\"T\"/>\n"
                           "  </settings>\n</plugin>\n"),
       "7:25", "unknown page kind \"ldap\""},
      {"bad page key",
       edit("</plugin>\n", "  <settings>\n    <page key=\"1p\" kind=\"scim\" title=\"T\"/>\n"
                           "  </settings>\n</plugin>\n"),
       "7:16", "page key \"1p\" is not valid"},
      {"bad field key", withFields("      <field key=\"9a\" type=\"text\" label=\"A\"/>\n"), "8:19",
       "field key \"9a\" is not valid"},
      {"bad boolean",
       withFields("      <field key=\"a\" type=\"text\" label=\"A\" required=\"yes\"/>\n"), "8:54",
       "'required' of <field> must be \"true\" or \"false\", not \"yes\""},
      {"unknown field type", withFields("      <field key=\"a\" type=\"color\" label=\"A\"/>\n"),
       "8:28", "unknown field type \"color\""},
      {"min on a text field",
       withFields("      <field key=\"a\" type=\"text\" label=\"A\" min=\"1\"/>\n"), "8:44",
       "'min' is allowed only on a number field"},
      {"min above max",
       withFields("      <field key=\"n\" type=\"number\" label=\"N\" min=\"5\" max=\"1\"/>\n"), "8:51",
       "min of field \"n\" is greater than its max"},
      {"non-numeric max",
       withFields("      <field key=\"n\" type=\"number\" label=\"N\" max=\"lots\"/>\n"), "8:51",
       "'max' of <field> must be a number, not \"lots\""},
  };
  for (const auto& c : cases) expectError(c);
}

TEST(ManifestParser, SemanticErrorsAreLocated) {
  const std::string twoPages =
      "  <settings>\n"
      "    <page key=\"p\" kind=\"entra\" title=\"P\"/>\n"
      "    <page key=\"p\" kind=\"google\" title=\"Q\"/>\n"
      "  </settings>\n"
      "</plugin>\n";
  const ErrorCase cases[] = {
      {"duplicate page key", edit("</plugin>\n", twoPages), "8:16", "duplicate page key \"p\""},
      {"duplicate field key",
       withFields("      <field key=\"a\" type=\"text\" label=\"A\"/>\n"
                  "      <field key=\"a\" type=\"url\" label=\"A2\"/>\n"),
       "9:19", "duplicate field key \"a\" in page \"p\""},
      {"shown-when unknown field",
       withFields("      <field key=\"a\" type=\"text\" label=\"A\">\n"
                  "        <shown-when field=\"nope\" equals=\"x\"/>\n      </field>\n"),
       "9:28", "refers to unknown field \"nope\""},
      {"shown-when itself",
       withFields("      <field key=\"a\" type=\"text\" label=\"A\">\n"
                  "        <shown-when field=\"a\" equals=\"x\"/>\n      </field>\n"),
       "9:28", "refers to the field itself"},
      {"shown-when value not an option",
       withFields("      <field key=\"s\" type=\"select\" label=\"S\"><option value=\"x\"/></field>\n"
                  "      <field key=\"a\" type=\"text\" label=\"A\">\n"
                  "        <shown-when field=\"s\" equals=\"y\"/>\n      </field>\n"),
       "10:39", "which is not one of its options"},
      {"shown-when loop",
       withFields("      <field key=\"a\" type=\"text\" label=\"A\">\n"
                  "        <shown-when field=\"b\" equals=\"x\"/>\n      </field>\n"
                  "      <field key=\"b\" type=\"text\" label=\"B\">\n"
                  "        <shown-when field=\"a\" equals=\"y\"/>\n      </field>\n"),
       "9:28", "form a loop"},
      {"select without options", withFields("      <field key=\"s\" type=\"select\" label=\"S\"/>\n"),
       "8:7", "select field \"s\" has no <option>"},
      {"option in a text field",
       withFields("      <field key=\"a\" type=\"text\" label=\"A\">\n"
                  "        <option value=\"x\"/>\n      </field>\n"),
       "9:9", "<option> is allowed only in a select field"},
      {"duplicate option",
       withFields("      <field key=\"s\" type=\"select\" label=\"S\">\n"
                  "        <option value=\"x\"/>\n        <option value=\"x\"/>\n      </field>\n"),
       "10:24", "duplicate option \"x\""},
      {"default not among the options",
       withFields("      <field key=\"s\" type=\"select\" label=\"S\" default=\"c\">\n"
                  "        <option value=\"a\"/>\n        <option value=\"b\"/>\n      </field>\n"),
       "8:55", "default of field \"s\" \"c\" is not one of its options"},
      {"number default not a number",
       withFields("      <field key=\"n\" type=\"number\" label=\"N\" default=\"abc\"/>\n"), "8:55",
       "default of field \"n\" must be a number, not \"abc\""},
      {"number default above max",
       withFields(
           "      <field key=\"n\" type=\"number\" label=\"N\" min=\"0\" max=\"10\" default=\"11\"/>\n"),
       "8:72", "default of field \"n\" 11 is above its max"},
      {"number default below min",
       withFields(
           "      <field key=\"n\" type=\"number\" label=\"N\" min=\"0\" max=\"10\" default=\"-1\"/>\n"),
       "8:72", "default of field \"n\" -1 is below its min"},
      {"toggle default not a boolean",
       withFields("      <field key=\"t\" type=\"toggle\" label=\"T\" default=\"yes\"/>\n"), "8:55",
       "must be \"true\" or \"false\", not \"yes\""},
      {"secret with a default",
       withFields("      <field key=\"k\" type=\"secret\" label=\"K\" default=\"hunter2\"/>\n"), "8:55",
       "a secret field cannot have a default"},
      {"url default not http",
       withFields("      <field key=\"u\" type=\"url\" label=\"U\" default=\"ftp://x\"/>\n"), "8:52",
       "must start with https:// or http://"},
  };
  for (const auto& c : cases) expectError(c);
}

TEST(ManifestParser, ColumnsCountCharactersNotBytes) {
  // "é" is two bytes in UTF-8 but one column, as an editor shows it.
  expectError({"utf-8 label",
               withFields("      <field key=\"é\" type=\"color\" label=\"A\"/>\n"), "8:19",
               "field key \"é\" is not valid"});
  expectError({"utf-8 before the error",
               withFields("      <field label=\"é\" key=\"a\" type=\"color\"/>\n"), "8:38",
               "unknown field type \"color\""});
}

TEST(ManifestParser, SourceNameLeadsTheMessage) {
  auto r = parseManifest("<nope/>", "/opt/plugins/x/plugin.xml");
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().message(),
            "/opt/plugins/x/plugin.xml:1:1: root element must be <plugin>, not <nope>");
}

TEST(ManifestFile, UnreadableFileIsNotFound) {
  auto r = loadManifestFile("/nonexistent/dir/plugin.xml");
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().message().rfind("/nonexistent/dir/plugin.xml: cannot read: ", 0), 0u)
      << r.status().message();
}

TEST(ManifestFile, ErrorsNameTheFile) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("manifest_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "plugin.xml").string();
  {
    std::ofstream out(path, std::ios::binary);
    out << edit("libdemo.so", "../x.so");
  }
  auto bad = loadManifestFile(path);
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message().rfind(path + ":5:3: ", 0), 0u) << bad.status().message();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << kValid;
  }
  auto good = loadManifestFile(path);
  EXPECT_TRUE(good.isOk()) << good.status().message();
  std::filesystem::remove_all(dir);
}

TEST(ManifestParser, HostileInputNeverCrashes) {
  // Every prefix of a full manifest is either valid or a located error, never a crash.
  const std::string full = withFields(
      "      <field key=\"s\" type=\"select\" label=\"S\" default=\"a\">\n"
      "        <option value=\"a\">A &amp; B</option>\n      </field>\n");
  for (std::size_t n = 0; n <= full.size(); ++n) {
    auto r = parseManifest(std::string_view(full).substr(0, n), "p.xml");
    if (!r.isOk()) {
      SCOPED_TRACE(n);
      EXPECT_EQ(r.status().message().rfind("p.xml:", 0), 0u) << r.status().message();
    }
  }
  for (const char* junk : {"\0\0\0", "<", "<<<>>>", "<plugin", "<?xml", "<!DOCTYPE x [", "&#0;",
                           "\xef\xbb\xbf", "<plugin key=\"\xff\xfe\"/>"}) {
    SCOPED_TRACE(junk);
    auto r = parseManifest(junk, "j.xml");
    EXPECT_FALSE(r.isOk());
  }
}

}  // namespace
}  // namespace hostapi

namespace hostapi {
namespace {

/// withFields() on a manifest that says it was built for host-api 1.3.
std::string withFields13(const std::string& fields) {
  std::string s = withFields(fields);
  const std::string from = "<host-api min=\"1.0\" max=\"1.0\"/>";
  s.replace(s.find(from), from.size(), "<host-api min=\"1.0\" max=\"1.3\"/>");
  return s;
}

TEST(ManifestConnection, MirroredFieldsAreCollectedPerPageInPageOrder) {
  auto r = parseManifest(withFields13("      <field key=\"syncPhotos\" type=\"toggle\" label=\"S\"/>\n"
                                      "      <field key=\"tenant\" type=\"text\" label=\"T\" connection=\"tenantId\"/>\n"
                                      "      <field key=\"secret\" type=\"secret\" label=\"C\" connection=\"clientSecret\"/>\n"),
                         "test.xml");
  ASSERT_TRUE(r.isOk()) << r.status().message();
  ASSERT_EQ(r.value().connections.size(), 1u);
  const PageConnection* c = r.value().connectionOf("p");
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->mirrors.size(), 2u);
  EXPECT_EQ(c->mirrors[0].fieldKey, "tenant");
  EXPECT_EQ(c->mirrors[0].connectionKey, "tenantId");
  EXPECT_EQ(c->mirrors[1].fieldKey, "secret");
  EXPECT_EQ(c->mirrors[1].connectionKey, "clientSecret");
  EXPECT_EQ(c->mirrorOf("syncPhotos"), nullptr);
  EXPECT_EQ(r.value().connectionOf("other"), nullptr);
  // The page descriptor itself is unchanged (its layout crosses the plugin boundary).
  EXPECT_EQ(r.value().pages.at(0).fields.size(), 3u);
}

TEST(ManifestConnection, APageWithoutMirrorsHasNoEntry) {
  auto r = parseManifest(withFields13("      <field key=\"a\" type=\"text\" label=\"A\"/>\n"), "test.xml");
  ASSERT_TRUE(r.isOk()) << r.status().message();
  EXPECT_TRUE(r.value().connections.empty());
  EXPECT_EQ(r.value().connectionOf("p"), nullptr);
}

TEST(ManifestConnection, MistakesAreLocated) {
  const ErrorCase cases[] = {
      {"needs host-api 1.3", withFields("      <field key=\"a\" type=\"text\" label=\"A\" connection=\"tenantId\"/>\n"),
       "8:44", "attribute 'connection' needs <host-api max=\"1.3\"> or later (this manifest's max is 1.0)"},
      {"bad key", withFields13("      <field key=\"a\" type=\"text\" label=\"A\" connection=\"9x\"/>\n"), "8:56",
       "connection key \"9x\" of field \"a\" is not valid"},
      {"two fields, one key",
       withFields13("      <field key=\"a\" type=\"text\" label=\"A\" connection=\"tenantId\"/>\n"
                    "      <field key=\"b\" type=\"text\" label=\"B\" connection=\"tenantId\"/>\n"),
       "9:56", "fields \"a\" and \"b\" both mirror connection key \"tenantId\""},
  };
  for (const auto& c : cases) expectError(c);
}

}  // namespace
}  // namespace hostapi
