// See console_fields.h.
#include "console_fields.h"

#include <map>

#include "directory_keys.h"

namespace samplehost::console {
namespace {

using hostapi::FieldType;
using web::json::value;

/// What a form needs beyond directory_keys' key, secret, required and help.
struct FormHints {
  const char* label;
  FieldType type;
  const char* defaultValue;
  std::vector<hostapi::FieldOption> options;
  std::optional<hostapi::ShownWhen> shownWhen;
  std::optional<double> min, max;
};

const std::map<std::string, FormHints>& hints() {
  static const std::map<std::string, FormHints> kHints = {
      {"tenantId", {"Directory (tenant) ID", FieldType::kText, "", {}, {}, {}, {}}},
      {"clientId", {"Application (client) ID", FieldType::kText, "", {}, {}, {}, {}}},
      {"credentialType",
       {"Credential type", FieldType::kSelect, "secret",
        {{"secret", "Client secret"}, {"certificate", "Certificate"}}, {}, {}, {}}},
      {"clientSecret", {"Client secret", FieldType::kSecret, "", {}, hostapi::ShownWhen{"credentialType", "secret"}, {}, {}}},
      {"certificatePem",
       {"Certificate (PEM)", FieldType::kMultiline, "", {}, hostapi::ShownWhen{"credentialType", "certificate"}, {}, {}}},
      {"privateKeyPem",
       {"Private key (PEM)", FieldType::kSecret, "", {}, hostapi::ShownWhen{"credentialType", "certificate"}, {}, {}}},
      {"authorityHost", {"Authority host", FieldType::kUrl, "https://login.microsoftonline.com", {}, {}, {}, {}}},
      {"graphEndpoint", {"Graph endpoint", FieldType::kUrl, "https://graph.microsoft.com", {}, {}, {}, {}}},
      {"serviceAccountKey", {"Service account key (JSON)", FieldType::kSecret, "", {}, {}, {}, {}}},
      {"adminEmail", {"Administrator to impersonate", FieldType::kText, "", {}, {}, {}, {}}},
      {"customer", {"Customer", FieldType::kText, "my_customer", {}, {}, {}, {}}},
      {"apiEndpoint", {"Admin SDK endpoint", FieldType::kUrl, "https://admin.googleapis.com", {}, {}, {}, {}}},
      {"scimToken", {"SCIM bearer token", FieldType::kSecret, "", {}, {}, {}, {}}},
      {"deactivationGuardPercent", {"Deactivation guard (%)", FieldType::kNumber, "20", {}, {}, 0, 100}},
  };
  return kHints;
}

}  // namespace

const char* directoryKindLabel(hostapi::DirectoryKind kind) {
  switch (kind) {
    case hostapi::DirectoryKind::kEntra: return "Microsoft Entra ID";
    case hostapi::DirectoryKind::kGoogle: return "Google Workspace";
    case hostapi::DirectoryKind::kScim: return "SCIM provisioning";
  }
  return "";
}

std::vector<hostapi::FieldDescriptor> directoryFields(hostapi::DirectoryKind kind) {
  std::vector<hostapi::FieldDescriptor> out;
  for (const auto& k : app::directorySettingKeys(kind)) {
    hostapi::FieldDescriptor f;
    f.key = k.key;
    f.caption = k.help;
    f.required = k.required;
    f.label = k.key;
    f.type = k.secret ? FieldType::kSecret : FieldType::kText;
    if (auto it = hints().find(k.key); it != hints().end()) {
      const FormHints& h = it->second;
      f.label = h.label;
      if (!k.secret) f.type = h.type;
      if (*h.defaultValue) f.defaultValue = h.defaultValue;
      f.options = h.options;
      f.shownWhen = h.shownWhen;
      f.min = h.min;
      f.max = h.max;
    }
    if (f.key == "pageSize") {
      f.label = "Users per page";
      f.type = FieldType::kNumber;
      f.min = 1;
      f.max = kind == hostapi::DirectoryKind::kGoogle ? 500 : 999;
      f.defaultValue = kind == hostapi::DirectoryKind::kGoogle ? "500" : "999";
    }
    out.push_back(std::move(f));
  }
  return out;
}

value fieldJson(const hostapi::FieldDescriptor& f) {
  value v = value::object();
  v["key"] = value::string(f.key);
  v["label"] = value::string(f.label);
  v["caption"] = value::string(f.caption);
  v["type"] = value::string(hostapi::fieldTypeName(f.type));
  v["required"] = value::boolean(f.required);
  v["default"] = f.defaultValue ? value::string(*f.defaultValue) : value::null();
  value opts = value::array();
  std::size_t i = 0;
  for (const auto& o : f.options) {
    value ov = value::object();
    ov["value"] = value::string(o.value);
    ov["label"] = value::string(o.label);
    opts[i++] = ov;
  }
  v["options"] = opts;
  if (f.shownWhen) {
    value sw = value::object();
    sw["field"] = value::string(f.shownWhen->fieldKey);
    sw["equals"] = value::string(f.shownWhen->equals);
    v["shownWhen"] = sw;
  } else {
    v["shownWhen"] = value::null();
  }
  if (f.min) v["min"] = value::number(*f.min);
  if (f.max) v["max"] = value::number(*f.max);
  return v;
}

}  // namespace samplehost::console
