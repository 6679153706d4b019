// validatePageValues and its helpers: what a host checks before saving a settings form, and
// what a plugin checks first in validateSettings.
#include "hostapi/settings_validation.h"

#include <string>

#include <gtest/gtest.h>

#include "hostapi/manifest.h"

namespace hostapi {
namespace {

/// A page with one field of each kind and a shown-when rule, parsed from a manifest (so the
/// descriptor is exactly what a host would get).
PageDescriptor testPage() {
  const std::string xml = R"(<plugin key="t" interface="org.photosync.hostapi.Plugin/1">
  <name>T</name><version>1.0</version><host-api min="1.0" max="1.0"/><module>libt.so</module>
  <settings>
    <page key="p" kind="entra" title="P">
      <field key="on" type="toggle" label="Enabled" default="false"/>
      <field key="name" type="text" label="Name" required="true"/>
      <field key="mode" type="select" label="Mode" default="secret">
        <option value="secret"/><option value="certificate"/>
      </field>
      <field key="password" type="secret" label="Password" required="true">
        <shown-when field="mode" equals="secret"/>
      </field>
      <field key="cert" type="multiline" label="Certificate" required="true">
        <shown-when field="mode" equals="certificate"/>
      </field>
      <field key="certNote" type="text" label="Certificate note" required="true">
        <shown-when field="cert" equals="special"/>
      </field>
      <field key="percent" type="number" label="Percent" default="20" min="0" max="100"/>
      <field key="atLeast" type="number" label="At least" min="1"/>
      <field key="bytes" type="number" label="Bytes" min="1024" max="104857600"/>
      <field key="ratio" type="number" label="Ratio" min="0.125" max="1234567.5"/>
      <field key="endpoint" type="url" label="Endpoint" default="https://example.com"/>
    </page>
  </settings>
</plugin>)";
  auto m = parseManifest(xml, "test.xml");
  EXPECT_TRUE(m.isOk()) << m.status().message();
  return m.isOk() ? m->pages.at(0) : PageDescriptor{};
}

/// Values that pass: required fields filled, the rest at their defaults.
PageValues validValues() {
  PageValues v;
  v.pageKey = "p";
  v.values["name"] = "Contoso";
  v.secrets["password"] = Secret("s3cr3t-value");
  return v;
}

std::string keysOf(const std::vector<FieldError>& errors) {
  std::string keys;
  for (const auto& e : errors) keys += (keys.empty() ? "" : ",") + e.fieldKey;
  return keys;
}

TEST(ValidatePageValues, DefaultsAndRequiredValuesPass) {
  const auto page = testPage();
  EXPECT_TRUE(validatePageValues(page, validValues()).empty());
}

TEST(ValidatePageValues, RequiredOnlyWhenShown) {
  const auto page = testPage();
  PageValues v;
  // Nothing saved: name and password (shown, mode defaults to secret) are missing; cert is
  // hidden, so its required flag does not apply.
  auto errors = validatePageValues(page, v);
  EXPECT_EQ(keysOf(errors), "name,password");
  EXPECT_EQ(errors.at(0).message, "\"Name\" is required");

  v.values["name"] = "   ";  // blanks are not a value
  v.values["mode"] = "certificate";
  EXPECT_EQ(keysOf(validatePageValues(page, v)), "name,cert");

  v.values["name"] = "x";
  v.values["cert"] = "special";  // now certNote is shown too (a chain of rules)
  EXPECT_EQ(keysOf(validatePageValues(page, v)), "certNote");

  v.values["mode"] = "secret";  // cert hidden again, and with it certNote
  EXPECT_EQ(keysOf(validatePageValues(page, v)), "password");
}

TEST(ValidatePageValues, EachTypeRefusesBadValues) {
  const auto page = testPage();
  struct Case {
    const char* key;
    const char* value;
    const char* message;  // empty: accepted
  };
  const Case cases[] = {
      {"on", "true", ""},
      {"on", "false", ""},
      {"on", "yes", "\"Enabled\" must be true or false"},
      {"on", "TRUE", "\"Enabled\" must be true or false"},
      {"mode", "secret", ""},
      {"mode", "Secret", "\"Mode\" must be one of: secret, certificate"},
      {"percent", "0", ""},
      {"percent", "100", ""},
      {"percent", " 42.5 ", ""},
      {"percent", "101", "\"Percent\" must be between 0 and 100"},
      {"percent", "-1", "\"Percent\" must be between 0 and 100"},
      {"percent", "12abc", "\"Percent\" must be a number"},
      {"percent", "nan", "\"Percent\" must be a number"},
      {"percent", "inf", "\"Percent\" must be a number"},
      {"percent", "1e3", "\"Percent\" must be a number"},
      {"atLeast", "0", "\"At least\" must be at least 1"},
      {"atLeast", "1000000", ""},
      // Bounds as an admin types them, never "1.04858e+08".
      {"bytes", "104857601", "\"Bytes\" must be between 1024 and 104857600"},
      {"ratio", "0.1", "\"Ratio\" must be between 0.125 and 1234567.5"},
      {"endpoint", "https://graph.microsoft.com", ""},
      {"endpoint", "http://127.0.0.1:8080/v1.0", ""},
      {"endpoint", "HTTPS://[::1]:443/x?y#z", ""},
      {"endpoint", "ftp://example.com", "\"Endpoint\" must start with https:// or http://"},
      {"endpoint", "https://", "\"Endpoint\" has no host name"},
      {"endpoint", "https://user:pw@example.com", "\"Endpoint\" must not contain a user name"},
      {"endpoint", "https://example.com:0", "\"Endpoint\" has an invalid port"},
      {"endpoint", "https://example.com:70000", "\"Endpoint\" has an invalid port"},
      {"endpoint", "https://exa mple.com", "\"Endpoint\" must not contain spaces"},
      {"endpoint", "https://exa$mple.com", "\"Endpoint\" has an invalid character"},
      {"endpoint", "https://[zz]/", "\"Endpoint\" has a malformed IPv6 address"},
      {"name", "two\nlines", "\"Name\" must be a single line"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.key) + "=" + c.value);
    PageValues v = validValues();
    v.values[c.key] = c.value;
    auto errors = validatePageValues(page, v);
    if (*c.message == '\0') {
      EXPECT_TRUE(errors.empty()) << errors.at(0).message;
    } else {
      ASSERT_EQ(errors.size(), 1u);
      EXPECT_EQ(errors[0].fieldKey, c.key);
      EXPECT_EQ(errors[0].message.rfind(c.message, 0), 0u) << errors[0].message;
    }
  }
}

TEST(ValidatePageValues, HiddenFieldsAreNotChecked) {
  const auto page = testPage();
  PageValues v = validValues();
  v.values["mode"] = "certificate";
  v.values["cert"] = "x";
  v.values["certNote"] = "two\nlines";  // invalid, but hidden (cert != "special")
  EXPECT_TRUE(validatePageValues(page, v).empty());
}

TEST(ValidatePageValues, NeverRepeatsASecret) {
  const auto page = testPage();
  PageValues v = validValues();
  v.secrets["password"] = Secret("  s3cr3t  \n");  // blanks around: still a value
  EXPECT_TRUE(validatePageValues(page, v).empty());
  v.secrets["password"] = Secret(" \t ");
  auto errors = validatePageValues(page, v);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "\"Password\" is required");
}

TEST(IsFieldShown, FollowsTheRuleChain) {
  const auto page = testPage();
  PageValues v;
  EXPECT_TRUE(isFieldShown(page, v, *page.field("password")));
  EXPECT_FALSE(isFieldShown(page, v, *page.field("cert")));
  v.values["mode"] = "certificate";
  v.values["cert"] = "special";
  EXPECT_FALSE(isFieldShown(page, v, *page.field("password")));
  EXPECT_TRUE(isFieldShown(page, v, *page.field("certNote")));
}

TEST(IsFieldShown, ALoopInAHandMadeDescriptorHidesInsteadOfRecursing) {
  PageDescriptor page;
  page.fields.push_back({"a", FieldType::kText, "A", "", {}, false, {}, ShownWhen{"b", ""}, {}, {}});
  page.fields.push_back({"b", FieldType::kText, "B", "", {}, false, {}, ShownWhen{"a", ""}, {}, {}});
  EXPECT_FALSE(isFieldShown(page, PageValues{}, page.fields[0]));
}

TEST(EffectiveFieldValue, SecretsComeFromTheSecretStore) {
  const auto page = testPage();
  PageValues v;
  EXPECT_EQ(effectiveFieldValue(page, v, *page.field("percent")), "20");
  EXPECT_EQ(effectiveFieldValue(page, v, *page.field("password")), "");
  v.secrets["password"] = Secret("pw");
  EXPECT_EQ(effectiveFieldValue(page, v, *page.field("password")), "pw");
}

TEST(ParseDecimal, AcceptsOnlyWholeFiniteNumbers) {
  EXPECT_EQ(parseDecimal("20"), 20.0);
  EXPECT_EQ(parseDecimal(" -1.5 "), -1.5);
  EXPECT_EQ(parseDecimal("+3"), 3.0);
  for (const char* bad : {"", " ", "abc", "1,5", "1.5.5", "0x10", "inf", "-nan", "1e400", "5 5"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(parseDecimal(bad));
  }
}

}  // namespace
}  // namespace hostapi
