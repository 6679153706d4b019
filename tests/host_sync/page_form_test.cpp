// The host's view of a plugin page as a settings form (samplehost::sync::makePageForm) and the
// choice of credentials source (store::connectionChoice): shown-when evaluated on the values the
// plugin is handed, where each value comes from, and that no secret's value enters the form.
#include "samplehost/sync/page_form.h"

#include <gtest/gtest.h>

#include <cpprest/json.h>

namespace samplehost::sync {
namespace {

using hostapi::FieldType;

hostapi::PageDescriptor entraLike() {
  hostapi::PageDescriptor p;
  p.key = "entra";
  p.title = "Entra";
  auto add = [&](std::string key, FieldType t, std::optional<std::string> def = std::nullopt,
                 std::optional<hostapi::ShownWhen> sw = std::nullopt) {
    hostapi::FieldDescriptor f;
    f.key = std::move(key);
    f.type = t;
    f.label = f.key + " label";
    f.caption = f.key + " caption";
    f.defaultValue = std::move(def);
    f.shownWhen = std::move(sw);
    if (t == FieldType::kSelect) f.options = {{"secret", "Client secret"}, {"certificate", "Certificate"}};
    p.fields.push_back(std::move(f));
  };
  add("syncPhotos", FieldType::kToggle, "false");
  add("tenantId", FieldType::kText);
  add("credentialType", FieldType::kSelect, "secret");
  add("clientSecret", FieldType::kSecret, std::nullopt, hostapi::ShownWhen{"credentialType", "secret"});
  add("certificatePem", FieldType::kMultiline, std::nullopt, hostapi::ShownWhen{"credentialType", "certificate"});
  return p;
}

hostapi::PageConnection mirrors() {
  return {"entra", {{"tenantId", "tenantId"}, {"credentialType", "credentialType"}, {"clientSecret", "clientSecret"},
                    {"certificatePem", "certificatePem"}}};
}

const FormField& fieldOf(const PageForm& f, const std::string& key) {
  for (const auto& ff : f.fields)
    if (ff.descriptor->key == key) return ff;
  throw std::runtime_error("no field " + key);
}

TEST(ConnectionChoice, DefaultIsTheDirectoryUnlessThePageHoldsItsOwnCredentials) {
  const auto conn = mirrors();
  hostapi::PageValues empty;
  EXPECT_TRUE(store::connectionChoice(&conn, empty).useDirectory);
  EXPECT_FALSE(store::connectionChoice(&conn, empty).chosen);
  hostapi::PageValues onlySwitch;
  onlySwitch.values["syncPhotos"] = "true";
  EXPECT_TRUE(store::connectionChoice(&conn, onlySwitch).useDirectory) << "a field that mirrors nothing";
  hostapi::PageValues copied;
  copied.secrets["clientSecret"] = hostapi::Secret("s");
  EXPECT_FALSE(store::connectionChoice(&conn, copied).useDirectory) << "a page saved with its own keeps it";
  copied.values[store::kUseDirectoryConnectionKey] = "true";
  EXPECT_TRUE(store::connectionChoice(&conn, copied).useDirectory) << "the admin's choice wins";
  EXPECT_TRUE(store::connectionChoice(&conn, copied).chosen);
  EXPECT_FALSE(store::connectionChoice(nullptr, empty).mirrors) << "a page that shares nothing";
  EXPECT_FALSE(store::connectionChoice(nullptr, empty).useDirectory);
}

TEST(PageForm, ShownWhenIsEvaluatedOnTheValuesThePluginIsHanded) {
  const auto page = entraLike();
  const auto conn = mirrors();
  store::Directory dir{"d1", "Contoso", hostapi::DirectoryKind::kEntra, 0};
  struct Case {
    const char* name;
    std::optional<std::string> credentialType;  // in the effective values
    bool secretShown, certificateShown;
  };
  const Case cases[] = {
      {"default: secret", std::nullopt, true, false},
      {"secret", "secret", true, false},
      {"certificate", "certificate", false, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    hostapi::PageValues saved, effective;
    if (c.credentialType) effective.values["credentialType"] = *c.credentialType;
    PageForm f = makePageForm("photosync", page, &conn, dir, saved, effective);
    EXPECT_EQ(fieldOf(f, "clientSecret").shown, c.secretShown);
    EXPECT_EQ(fieldOf(f, "certificatePem").shown, c.certificateShown);
    EXPECT_TRUE(fieldOf(f, "syncPhotos").shown);
    const std::string json = pageFormJson(f, /*includeHidden=*/false);
    EXPECT_EQ(json.find("\"certificatePem\"") != std::string::npos, c.certificateShown) << json;
    EXPECT_NE(pageFormJson(f, true).find("\"certificatePem\""), std::string::npos);
  }
}

TEST(PageForm, SourcesAndSecretsAreReportedWithoutTheSecretsValue) {
  const auto page = entraLike();
  const auto conn = mirrors();
  store::Directory dir{"d1", "Contoso", hostapi::DirectoryKind::kEntra, 0};
  hostapi::PageValues saved, effective;
  saved.values["syncPhotos"] = "true";
  effective.values["syncPhotos"] = "true";
  effective.values["tenantId"] = "t-1";
  effective.secrets["clientSecret"] = hostapi::Secret("very-secret-value");
  PageForm f = makePageForm("photosync", page, &conn, dir, saved, effective);
  EXPECT_TRUE(f.connection.useDirectory);
  EXPECT_EQ(fieldOf(f, "syncPhotos").source, "page");
  EXPECT_EQ(fieldOf(f, "tenantId").source, "directory");
  EXPECT_EQ(fieldOf(f, "tenantId").value, "t-1");
  EXPECT_EQ(fieldOf(f, "tenantId").mirrors, "tenantId");
  EXPECT_EQ(fieldOf(f, "credentialType").source, "default");
  EXPECT_EQ(fieldOf(f, "credentialType").value, "secret");
  EXPECT_EQ(fieldOf(f, "certificatePem").source, "unset");
  EXPECT_TRUE(fieldOf(f, "clientSecret").secretSet);
  EXPECT_EQ(fieldOf(f, "clientSecret").value, "");
  EXPECT_EQ(fieldOf(f, "syncPhotos").mirrors, "");

  const std::string json = pageFormJson(f, true);
  EXPECT_EQ(json.find("very-secret-value"), std::string::npos);
  auto doc = web::json::value::parse(json);
  EXPECT_EQ(doc.at("directory").at("name").as_string(), "Contoso");
  EXPECT_TRUE(doc.at("connection").at("available").as_bool());
  const auto& fields = doc.at("fields").as_array();
  ASSERT_EQ(fields.size(), 5u);
  const auto& secret = fields.at(3);
  EXPECT_EQ(secret.at("key").as_string(), "clientSecret");
  EXPECT_TRUE(secret.at("set").as_bool());
  EXPECT_FALSE(secret.has_field("value"));
  const auto& select = fields.at(2);
  EXPECT_EQ(select.at("options").at(1).at("label").as_string(), "Certificate");
  EXPECT_EQ(select.at("default").as_string(), "secret");
  EXPECT_TRUE(fields.at(1).at("default").is_null());
}

}  // namespace
}  // namespace samplehost::sync
