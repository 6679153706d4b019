// See page_form.h.
#include "samplehost/sync/page_form.h"

#include <utility>

#include <cpprest/json.h>

#include "hostapi/settings_validation.h"

namespace samplehost::sync {

namespace json = web::json;

PageForm makePageForm(const std::string& pluginKey, const hostapi::PageDescriptor& page,
                      const hostapi::PageConnection* connection, const store::Directory& directory,
                      const hostapi::PageValues& saved, const hostapi::PageValues& effective) {
  PageForm form;
  form.pluginKey = pluginKey;
  form.page = &page;
  form.directory = directory;
  form.connection = store::connectionChoice(connection, saved);
  for (const auto& f : page.fields) {
    FormField ff;
    ff.descriptor = &f;
    // Shown-when is decided on what the plugin is handed: with the directory's connection, its
    // credential type decides whether the certificate fields are shown.
    ff.shown = hostapi::isFieldShown(page, effective, f);
    const hostapi::ConnectionMirror* mirror = connection ? connection->mirrorOf(f.key) : nullptr;
    if (mirror) ff.mirrors = mirror->connectionKey;
    const bool fromDirectory = mirror != nullptr && form.connection.useDirectory;
    const bool has = effective.values.count(f.key) > 0 || effective.secrets.count(f.key) > 0;
    if (has) ff.source = fromDirectory ? "directory" : "page";
    else ff.source = f.defaultValue ? "default" : "unset";
    if (f.type == hostapi::FieldType::kSecret) {
      const hostapi::Secret* s = effective.secret(f.key);
      ff.secretSet = s != nullptr && !s->empty();
    } else {
      ff.value = effective.effective(page, f.key);
    }
    form.fields.push_back(std::move(ff));
  }
  return form;
}

hostapi::Result<PageForm> loadPageForm(const store::Store& store, const std::string& pluginKey,
                                       const hostapi::PageDescriptor& page,
                                       const hostapi::PageConnection* connection,
                                       const store::Directory& directory) {
  auto saved = store.pluginSettings(pluginKey, directory.id, page.key);
  if (!saved) return saved.status();
  auto effective = store::resolvePageValues(store, connection, *saved);
  if (!effective) return effective.status();
  return makePageForm(pluginKey, page, connection, directory, *saved, *effective);
}

std::string pageFormJson(const PageForm& form, bool includeHidden) {
  json::value o = json::value::object();
  o["plugin"] = json::value::string(form.pluginKey);
  o["page"] = json::value::string(form.page ? form.page->key : "");
  o["title"] = json::value::string(form.page ? form.page->title : "");
  json::value dir = json::value::object();
  dir["id"] = json::value::string(form.directory.id);
  dir["name"] = json::value::string(form.directory.name);
  dir["kind"] = json::value::string(hostapi::directoryKindName(form.directory.kind));
  o["directory"] = dir;
  json::value conn = json::value::object();
  conn["available"] = json::value::boolean(form.connection.mirrors);
  conn["useDirectoryConnection"] = json::value::boolean(form.connection.useDirectory);
  conn["chosen"] = json::value::boolean(form.connection.chosen);
  o["connection"] = conn;
  json::value fields = json::value::array();
  std::size_t n = 0;
  for (const auto& ff : form.fields) {
    if (!ff.shown && !includeHidden) continue;
    const hostapi::FieldDescriptor& f = *ff.descriptor;
    json::value x = json::value::object();
    x["key"] = json::value::string(f.key);
    x["label"] = json::value::string(f.label);
    x["caption"] = json::value::string(f.caption);
    x["type"] = json::value::string(hostapi::fieldTypeName(f.type));
    x["required"] = json::value::boolean(f.required);
    x["default"] = f.defaultValue ? json::value::string(*f.defaultValue) : json::value::null();
    if (!f.options.empty()) {
      json::value opts = json::value::array();
      std::size_t i = 0;
      for (const auto& opt : f.options) {
        json::value ov = json::value::object();
        ov["value"] = json::value::string(opt.value);
        ov["label"] = json::value::string(opt.label);
        opts[i++] = ov;
      }
      x["options"] = opts;
    }
    if (f.min) x["min"] = json::value::number(*f.min);
    if (f.max) x["max"] = json::value::number(*f.max);
    if (f.shownWhen) {
      json::value sw = json::value::object();
      sw["field"] = json::value::string(f.shownWhen->fieldKey);
      sw["equals"] = json::value::string(f.shownWhen->equals);
      x["shownWhen"] = sw;
    }
    x["shown"] = json::value::boolean(ff.shown);
    if (!ff.mirrors.empty()) x["mirrors"] = json::value::string(ff.mirrors);
    x["source"] = json::value::string(ff.source);
    if (f.type == hostapi::FieldType::kSecret) x["set"] = json::value::boolean(ff.secretSet);
    else x["value"] = json::value::string(ff.value);
    fields[n++] = x;
  }
  o["fields"] = fields;
  return o.serialize();
}

}  // namespace samplehost::sync
