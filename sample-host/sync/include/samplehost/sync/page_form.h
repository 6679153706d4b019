// A plugin's settings page as a settings form shows it, for one directory: every field of the
// page descriptor with its label, caption, type, default, options, range, required flag and
// shown-when rule, whether it is shown now (the rule evaluated against the values the plugin
// would be handed), where its value comes from (the page, the directory's connection, the
// default) and the value itself, except for secret fields, which only say whether one is set.
// `sample-host settings get` prints it; the admin console's API can serve pageFormJson() as is.
// No secret's value ever enters a PageForm.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hostapi/connection.h"
#include "hostapi/settings.h"
#include "hostapi/status.h"
#include "samplehost/store/page_connection.h"
#include "samplehost/store/store.h"

namespace samplehost::sync {

struct FormField {
  const hostapi::FieldDescriptor* descriptor = nullptr;  // into the PageDescriptor given
  bool shown = true;          // shown-when holds (hidden fields are neither checked nor used)
  std::string mirrors;        // the directory connection key the field mirrors; empty if none
  /// Where the value comes from: "page" (saved on the page), "directory" (the directory's
  /// connection, for a mirrored field while the page uses it), "default", or "unset".
  std::string source;
  std::string value;          // the effective value; always empty for a secret field
  bool secretSet = false;     // secret fields: a value is set
};

struct PageForm {
  std::string pluginKey;
  const hostapi::PageDescriptor* page = nullptr;  // the descriptor given; must outlive the form
  store::Directory directory;
  store::ConnectionChoice connection;  // connection.mirrors false: nothing to share
  std::vector<FormField> fields;       // every field, in page order, shown or not
};

/// The form of `page` for `directory` from what the store holds (page values and, when the page
/// uses it, the directory's connection). `connection` is the page's mirrors from the manifest
/// (null when none). NOT_FOUND for an unknown directory.
hostapi::Result<PageForm> loadPageForm(const store::Store& store, const std::string& pluginKey,
                                       const hostapi::PageDescriptor& page,
                                       const hostapi::PageConnection* connection,
                                       const store::Directory& directory);

/// The same from values already read: `saved` as the store holds them, `effective` as
/// store::resolvePageValues made them from `saved`.
PageForm makePageForm(const std::string& pluginKey, const hostapi::PageDescriptor& page,
                      const hostapi::PageConnection* connection, const store::Directory& directory,
                      const hostapi::PageValues& saved, const hostapi::PageValues& effective);

/// The form as one JSON object (docs/admin-guide.md, "settings get --json"): hidden fields only
/// when `includeHidden`; secret fields carry "set": true|false and never a value.
std::string pageFormJson(const PageForm& form, bool includeHidden);

}  // namespace samplehost::sync
