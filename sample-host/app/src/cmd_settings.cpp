// `sample-host settings get|set`: host settings (e.g. userPhotos), a directory's connection
// settings (--directory), and a plugin's settings page for a directory (--plugin --directory
// --page). Secrets are read without echo or from a file and shown only as ********.
#include <filesystem>

#include "cli_support.h"
#include "commands.h"
#include "directory_keys.h"
#include "host_keys.h"
#include "hostapi/manifest.h"
#include "samplehost/store/logger.h"
#include "samplehost/store/page_connection.h"
#include "samplehost/sync/hook_runner.h"
#include "samplehost/sync/host_session.h"
#include "samplehost/sync/page_form.h"

namespace samplehost::app {
namespace {

constexpr const char* kName = "settings";

int hostGet(store::Store& st, const CommandLine& a, std::ostream& out, std::ostream& err) {
  auto all = st.hostSettings();
  if (!all) return fail(err, kName, all.status());
  auto show = [&](const std::string& key) {
    auto it = all->find(key);
    std::string v = it == all->end() ? "" : it->second;
    for (const auto& k : kHostKeys)
      if (key == k.key && k.isSwitch) v = (v == "true") ? "on" : "off";
    out << key << "=" << (v.empty() ? "(default)" : v) << "\n";
  };
  if (a.positional.size() > 1) {
    for (std::size_t i = 1; i < a.positional.size(); ++i) show(a.positional[i]);
    return kExitOk;
  }
  for (const auto& k : kHostKeys) show(k.key);
  for (const auto& [k, v] : *all) {
    bool known = false;
    for (const auto& hk : kHostKeys) known = known || k == hk.key;
    if (!known) out << k << "=" << v << "\n";
  }
  return kExitOk;
}

int hostSet(store::Store& st, const CommandLine& a, std::ostream& out, std::ostream& err) {
  std::vector<std::pair<std::string, std::string>> pairs;
  const auto& p = a.positional;
  if (p.size() == 3 && p[1].find('=') == std::string::npos) {
    pairs.emplace_back(p[1], p[2]);  // settings set userPhotos on
  } else {
    for (std::size_t i = 1; i < p.size(); ++i) {
      auto kv = splitAssignment(p[i]);
      if (!kv) return usage(err, kName, kv.status().message());
      pairs.push_back(*kv);
    }
  }
  if (pairs.empty()) return usage(err, kName, "settings set needs KEY VALUE or KEY=VALUE");
  // Every value is checked before any is saved: one refused, nothing saved.
  std::vector<std::string> problems;
  for (auto& [k, v] : pairs) {
    const HostKey* known = nullptr;
    for (const auto& hk : kHostKeys)
      if (k == hk.key) known = &hk;
    if (!known) {
      std::string list;
      for (const auto& hk : kHostKeys) list += std::string(list.empty() ? "" : ", ") + hk.key;
      return usage(err, kName, "unknown host setting \"" + k + "\"; known: " + list);
    }
    if (known->isSwitch) {
      auto n = normaliseSwitch(v);
      if (!n) problems.push_back(k + ": \"" + v + "\" is not a switch; allowed: on or off");
      else v = *n;
    } else if (auto problem = wholeNumberProblem(k, v, known->min, known->max)) {
      problems.push_back(*problem);
    }
  }
  if (!problems.empty()) {
    for (const auto& problem : problems) err << "  " << problem << "\n";
    return fail(err, kName, "refused " + std::to_string(problems.size()) + " of the values (nothing saved)");
  }
  for (const auto& [k, v] : pairs) {
    auto s = st.setHostSetting(k, v);
    if (!s) return fail(err, kName, s);
    out << k << " set\n";
  }
  return kExitOk;
}

void printValues(const std::map<std::string, std::string>& values, const std::map<std::string, hostapi::Secret>& secrets,
                 std::ostream& out) {
  std::map<std::string, std::string> all = values;
  for (const auto& [k, s] : secrets) all[k] = s.empty() ? "" : store::kRedacted;
  for (const auto& [k, v] : all) {
    // Multi-line values (certificates) are shown by their first line only.
    auto nl = v.find('\n');
    out << k << "=" << (nl == std::string::npos ? v : v.substr(0, nl) + " ...") << "\n";
  }
  if (all.empty()) out << "(nothing saved)\n";
}

int directoryGetSet(store::Store& st, const store::Directory& d, bool set, const CommandLine& a, std::ostream& out,
                    std::ostream& err) {
  if (!set) {
    auto v = st.directorySettings(d.id);
    if (!v) return fail(err, kName, v.status());
    printValues(v->values, v->secrets, out);
    return kExitOk;
  }
  auto changes = directorySettingChanges(d.kind, a);
  if (!changes) return usage(err, kName, changes.status().message());
  for (std::size_t i = 1; i < a.positional.size(); ++i) {
    auto kv = splitAssignment(a.positional[i]);
    if (!kv) return usage(err, kName, kv.status().message());
    CommandLine one;
    one.values["set"] = a.positional[i];
    auto more = directorySettingChanges(d.kind, one);
    if (!more) return usage(err, kName, more.status().message());
    changes->insert(changes->end(), more->begin(), more->end());
  }
  if (changes->empty()) return usage(err, kName, "nothing to set: give KEY=VALUE, --set, --secret or --unset");
  if (auto problems = directorySettingProblems(d.kind, *changes); !problems.empty()) {
    for (const auto& p : problems) err << "  " << p << "\n";
    return fail(err, kName, "refused " + std::to_string(problems.size()) + " of the values (nothing saved)");
  }
  auto s = st.setDirectorySettings(d.id, *changes);
  if (!s) return fail(err, kName, s);
  for (const auto& c : *changes) out << c.key << (c.value ? " set" : " removed") << "\n";
  return kExitOk;
}

/// One page of a plugin's manifest and, since host-api 1.3, the fields it shares with its
/// directory's connection (empty mirrors when none).
struct ManifestPage {
  hostapi::PageDescriptor page;
  hostapi::PageConnection connection;
  const hostapi::PageConnection* mirrors() const { return connection.mirrors.empty() ? nullptr : &connection; }
};

/// The page of the plugin's manifest, read from <data-dir>/plugins/<key>/plugin.xml.
hostapi::Result<ManifestPage> manifestPage(const std::filesystem::path& dataDir, const std::string& plugin,
                                           const std::string& page) {
  auto m = hostapi::loadManifestFile((dataDir / "plugins" / plugin / "plugin.xml").string());
  if (!m) return hostapi::notFound("plugin " + plugin + " is not installed in " + (dataDir / "plugins").string() +
                                   " (" + m.status().message() + ")");
  std::string pages;
  for (const auto& p : m->pages) {
    if (p.key == page) {
      ManifestPage out{p, {}};
      if (const auto* c = m->connectionOf(page)) out.connection = *c;
      return out;
    }
    pages += (pages.empty() ? "" : ", ") + p.key;
  }
  return hostapi::notFound("plugin " + plugin + " has no settings page \"" + page + "\"; its pages: " + pages);
}

std::string firstLine(const std::string& v) {
  auto nl = v.find('\n');
  return nl == std::string::npos ? v : v.substr(0, nl) + " ...";
}

/// "directory 'Contoso''s connection" or "this page's own credentials".
std::string connectionText(const sync::PageForm& form) {
  if (form.connection.useDirectory) return "directory '" + form.directory.name + "''s connection";
  return "this page's own credentials";
}

/// The page as a settings form shows it: per field its value (secrets only set / not set) and
/// where it comes from, then its label, type, default, options, range, required flag and
/// shown-when rule, then its caption. Fields hidden by shown-when only with `all`.
void printForm(const sync::PageForm& form, bool all, std::ostream& out) {
  out << "# " << form.page->title << " (" << form.pluginKey << ", directory " << form.directory.name << ")\n";
  if (form.connection.mirrors)
    out << "# credentials: " << connectionText(form)
        << (form.connection.chosen ? "" : " (the default)") << "; --use-directory-connection "
        << (form.connection.useDirectory ? "off gives this page its own" : "on uses the directory's") << "\n";
  std::size_t hidden = 0;
  for (const auto& ff : form.fields) {
    const hostapi::FieldDescriptor& f = *ff.descriptor;
    if (!ff.shown && !all) {
      ++hidden;
      continue;
    }
    std::string value;
    std::vector<std::string> notes;
    if (f.type == hostapi::FieldType::kSecret) {
      value = ff.secretSet ? store::kRedacted : "";
      notes.push_back(ff.secretSet ? "set" : "not set");
    } else {
      value = firstLine(ff.value);
      if (ff.source == "default") notes.push_back("default");
      if (ff.source == "unset") notes.push_back("not set");
    }
    if (ff.source == "directory") notes.push_back("from directory '" + form.directory.name + "'");
    if (!ff.shown) notes.push_back("hidden");
    out << f.key << "=" << value;
    if (!notes.empty()) {
      out << " (";
      for (std::size_t i = 0; i < notes.size(); ++i) out << (i ? ", " : "") << notes[i];
      out << ")";
    }
    out << "\n    " << f.label << " \xC2\xB7 " << hostapi::fieldTypeName(f.type);
    if (f.required) out << ", required";
    if (f.defaultValue && f.type != hostapi::FieldType::kSecret) out << ", default " << firstLine(*f.defaultValue);
    if (f.min || f.max) {
      auto num = [](double d) {
        std::string t = std::to_string(d);
        t.erase(t.find_last_not_of('0') + 1);
        if (!t.empty() && t.back() == '.') t.pop_back();
        return t;
      };
      out << ", " << (f.min ? num(*f.min) : "") << " to " << (f.max ? num(*f.max) : "");
    }
    if (!f.options.empty()) {
      out << ", one of:";
      for (std::size_t i = 0; i < f.options.size(); ++i)
        out << (i ? "," : "") << " " << f.options[i].value << " (" << f.options[i].label << ")";
    }
    if (f.shownWhen) out << ", shown when " << f.shownWhen->fieldKey << " = " << f.shownWhen->equals;
    if (!ff.mirrors.empty()) out << ", mirrors the directory's " << ff.mirrors;
    out << "\n";
    if (!f.caption.empty()) out << "    " << f.caption << "\n";
  }
  if (hidden > 0)
    out << "# " << hidden << (hidden == 1 ? " field is" : " fields are")
        << " hidden by the values above (shown-when); --all lists them\n";
}

/// Loads the plugins of the data directory (a HostSession of its own) and finds `key`; the
/// session must outlive every use of the plugin pointer.
hostapi::Result<hostapi::Plugin*> loadPlugin(const GlobalOptions& g, const std::string& key,
                                             std::unique_ptr<sync::HostSession>& session) {
  const std::filesystem::path& dataDir = g.dataDir;
  sync::SessionOptions so;
  so.storeUri = g.storeUri;
  so.terminalLogLevel = hostapi::LogLevel::kError;
  auto opened = sync::HostSession::open(dataDir, so);
  if (!opened) return opened.status();
  session = std::move(opened.value());
  for (const auto& slot : session->plugins())
    if (slot.key == key) return slot.plugin;
  for (const auto& problem : session->pluginProblems())
    if (problem.pluginKey == key && !problem.failures.empty())
      return hostapi::failedPrecondition("plugin " + key + " is not usable: " + problem.failures.front().detail);
  return hostapi::notFound("plugin " + key + " is not loaded from " + (dataDir / "plugins").string());
}

/// The page's saved values with `changes` applied (what the plugin will see after saving).
hostapi::PageValues mergedValues(const hostapi::PageValues& saved, const std::vector<store::SettingChange>& changes) {
  hostapi::PageValues v = saved;
  for (const auto& c : changes) {
    v.values.erase(c.key);
    v.secrets.erase(c.key);
    if (!c.value) continue;
    if (c.secret) v.secrets[c.key] = hostapi::Secret(*c.value);
    else v.values[c.key] = *c.value;
  }
  return v;
}

int pluginGetSet(const GlobalOptions& g, store::Store& st, const store::Directory& d, bool set, const CommandLine& a,
                 std::ostream& out, std::ostream& err) {
  std::string plugin = *a.value("plugin");
  auto pageKey = a.value("page");
  if (!pageKey) return usage(err, kName, "--plugin needs --page (e.g. --page entra)");
  auto mp = manifestPage(g.dataDir, plugin, *pageKey);
  if (!mp) return fail(err, kName, mp.status());
  const hostapi::PageDescriptor* page = &mp->page;
  const hostapi::PageConnection* mirrors = mp->mirrors();
  if (page->kind != d.kind)
    return fail(err, kName, "page \"" + *pageKey + "\" is for " + hostapi::directoryKindName(page->kind) +
                                " directories; " + d.name + " is " + hostapi::directoryKindName(d.kind));
  if (!set) {
    auto form = sync::loadPageForm(st, plugin, *page, mirrors, d);
    if (!form) return fail(err, kName, form.status());
    if (a.flag("json")) out << sync::pageFormJson(*form, a.flag("all")) << "\n";
    else printForm(*form, a.flag("all"), out);
    return kExitOk;
  }
  std::vector<store::SettingChange> changes;
  auto field = [&](const std::string& key) -> hostapi::Result<const hostapi::FieldDescriptor*> {
    const auto* f = page->field(key);
    if (!f) {
      std::string keys;
      for (const auto& x : page->fields) keys += (keys.empty() ? "" : ", ") + x.key;
      return hostapi::invalidArgument("page " + page->key + " has no field \"" + key + "\"; fields: " + keys);
    }
    return f;
  };
  auto plain = [&](const std::string& key, std::string value) -> hostapi::Status {
    auto f = field(key);
    if (!f) return f.status();
    if ((*f)->type == hostapi::FieldType::kSecret)
      return hostapi::invalidArgument(key + " is a secret: give it with --secret " + key + " or --secret-file " + key +
                                      "=PATH");
    if ((*f)->type == hostapi::FieldType::kToggle) {
      auto n = normaliseSwitch(value);
      if (!n) return hostapi::invalidArgument(key + " is a toggle: true or false");
      value = *n;
    }
    changes.push_back({key, value, false});
    return {};
  };
  std::vector<std::string> assigns = allValues(a, "set");
  for (std::size_t i = 1; i < a.positional.size(); ++i) assigns.push_back(a.positional[i]);
  for (const auto& s : assigns) {
    auto kv = splitAssignment(s);
    if (!kv) return usage(err, kName, kv.status().message());
    if (auto x = plain(kv->first, kv->second); !x) return usage(err, kName, x.message());
  }
  for (const auto& s : allValues(a, "set-file")) {
    auto kv = readKeyFile(s);
    if (!kv) return fail(err, kName, kv.status());
    if (auto x = plain(kv->first, kv->second); !x) return usage(err, kName, x.message());
  }
  auto secretField = [&](const std::string& key) -> hostapi::Status {
    auto f = field(key);
    if (!f) return f.status();
    if ((*f)->type != hostapi::FieldType::kSecret)
      return hostapi::invalidArgument(key + " is not a secret: give it as " + key + "=VALUE");
    return {};
  };
  for (const auto& key : allValues(a, "secret")) {
    if (auto x = secretField(key); !x) return usage(err, kName, x.message());
    auto v = readSecret(key);
    if (!v) return fail(err, kName, v.status());
    changes.push_back({key, *v, true});
  }
  for (const auto& s : allValues(a, "secret-file")) {
    auto kv = readKeyFile(s);
    if (!kv) return fail(err, kName, kv.status());
    if (auto x = secretField(kv->first); !x) return usage(err, kName, x.message());
    changes.push_back({kv->first, kv->second, true});
  }
  if (auto use = a.value("use-directory-connection")) {
    auto n = normaliseSwitch(*use);
    if (!n) return usage(err, kName, "--use-directory-connection takes on or off");
    if (!mirrors)
      return usage(err, kName, "page " + page->key + " of " + plugin + " shares no field with its directory's connection");
    if (a.flag("copy-connection") && *n == "true")
      return usage(err, kName, "--copy-connection gives the page its own copy; it cannot go with --use-directory-connection on");
    changes.push_back({store::kUseDirectoryConnectionKey, *n, false});
  }
  if (a.flag("copy-connection")) {
    // The page's own copy of the directory's connection fields (tenant, client, endpoints,
    // credentials), secrets staying secrets, and the page then uses its own copy. Since host-api
    // 1.3 a page need not copy: --use-directory-connection on reads the directory's at run time.
    auto conn = st.directorySettings(d.id);
    if (!conn) return fail(err, kName, conn.status());
    for (const auto& f : page->fields) {
      const hostapi::ConnectionMirror* m = mirrors ? mirrors->mirrorOf(f.key) : nullptr;
      if (mirrors && !m) continue;
      const std::string from = m ? m->connectionKey : f.key;  // a page without mirrors: same names
      if (auto it = conn->values.find(from); it != conn->values.end() && f.type != hostapi::FieldType::kSecret)
        changes.push_back({f.key, it->second, false});
      else if (auto sit = conn->secrets.find(from); sit != conn->secrets.end() && f.type == hostapi::FieldType::kSecret)
        changes.push_back({f.key, sit->second.reveal(), true});
    }
    if (mirrors) changes.push_back({store::kUseDirectoryConnectionKey, std::string("false"), false});
  }
  for (const auto& key : allValues(a, "unset")) {
    auto f = field(key);
    if (!f) return usage(err, kName, f.status().message());
    changes.push_back({key, std::nullopt, (*f)->type == hostapi::FieldType::kSecret});
  }
  if (changes.empty())
    return usage(err, kName,
                 "nothing to set: give KEY=VALUE, --secret, --unset, --use-directory-connection or --copy-connection");
  // A mirrored field given here: say what it means for where the page's credentials come from.
  if (auto before = st.pluginSettings(plugin, d.id, *pageKey); before && mirrors) {
    const store::ConnectionChoice after = store::connectionChoice(mirrors, mergedValues(*before, changes));
    for (const auto& c : changes) {
      if (!c.value || !mirrors->mirrorOf(c.key) || a.flag("copy-connection")) continue;
      if (after.useDirectory)
        err << "note: " << c.key << " is saved on the page but not used while it uses directory '" << d.name
            << "''s connection (--use-directory-connection off uses the page's own)\n";
      else if (!after.chosen)
        err << "note: " << c.key << " mirrors the directory's " << mirrors->mirrorOf(c.key)->connectionKey
            << "; giving it here gives the page credentials of its own (--use-directory-connection on keeps "
               "the directory's)\n";
      break;
    }
  }
  // The plugin checks what it is about to be given, as a settings form would before saving.
  if (auto saved = st.pluginSettings(plugin, d.id, *pageKey); saved) {
    std::unique_ptr<sync::HostSession> session;
    auto loaded = loadPlugin(g, plugin, session);
    if (!loaded) {
      err << "warning: the values were not validated by the plugin: " << loaded.status().message() << "\n";
    } else {
      hostapi::PageValues merged = mergedValues(*saved, changes);
      merged.pageKey = *pageKey;
      merged.directoryId = d.id;
      // What the plugin will be handed: with the directory's connection filled in when the page uses it.
      auto resolved = store::resolvePageValues(st, mirrors, std::move(merged));
      if (!resolved) return fail(err, kName, resolved.status());
      auto values = std::make_shared<hostapi::PageValues>(std::move(resolved).value());
      auto problems = std::make_shared<std::vector<hostapi::FieldError>>();
      hostapi::Plugin* p = *loaded;
      std::string pk = *pageKey;
      auto out2 = sync::runContained([p, pk, values, problems] { *problems = p->validateSettings(pk, *values); },
                                     std::chrono::seconds(30));
      if (!out2.ok()) {
        err << "warning: the plugin could not validate the values (" << out2.detail << ")\n";
      } else if (!problems->empty()) {
        for (const auto& e : *problems) err << "  " << e.fieldKey << ": " << e.message << "\n";
        if (!a.flag("force"))
          return fail(err, kName, "the plugin refused these values (nothing saved); fix them, or save anyway with --force");
      }
    }
  }
  auto s = st.setPluginSettings(plugin, d.id, *pageKey, changes);
  if (!s) return fail(err, kName, s);
  for (const auto& c : changes)
    if (!hostapi::isReservedValueKey(c.key)) out << c.key << (c.value ? " set" : " removed") << "\n";
  if (mirrors) {
    auto now = st.pluginSettings(plugin, d.id, *pageKey);
    if (now) {
      const store::ConnectionChoice c = store::connectionChoice(mirrors, *now);
      out << "credentials: " << (c.useDirectory ? "directory '" + d.name + "''s connection" : "this page's own credentials")
          << "\n";
    }
  }
  return kExitOk;
}

int testConnection(const GlobalOptions& g, store::Store& st, const CommandLine& a, std::ostream& out,
                   std::ostream& err) {
  auto plugin = a.value("plugin");
  auto dirName = a.value("directory");
  auto pageKey = a.value("page");
  if (!plugin || !dirName || !pageKey) return usage(err, kName, "settings test needs --plugin, --directory and --page");
  auto d = st.directoryByName(*dirName);
  if (!d) return fail(err, kName, d.status());
  auto mp = manifestPage(g.dataDir, *plugin, *pageKey);
  if (!mp) return fail(err, kName, mp.status());
  // The values the plugin runs with: the directory's connection when the page uses it.
  auto saved = store::effectivePluginSettings(st, *plugin, mp->mirrors(), d->id, *pageKey);
  if (!saved) return fail(err, kName, saved.status());
  std::unique_ptr<sync::HostSession> session;
  auto loaded = loadPlugin(g, *plugin, session);
  if (!loaded) return fail(err, kName, loaded.status());
  auto values = std::make_shared<hostapi::PageValues>(std::move(saved.value()));
  values->pageKey = *pageKey;
  values->directoryId = d->id;
  auto result = std::make_shared<hostapi::ConnectionTestResult>();
  hostapi::Plugin* p = *loaded;
  std::string pk = *pageKey;
  auto o = sync::runContained([p, pk, values, result] { *result = p->testConnection(pk, *values); },
                              std::chrono::seconds(120));
  if (!o.ok()) return fail(err, kName, "the connection test " + o.detail);
  for (const auto& c : result->checks) out << (c.ok ? "ok    " : "FAILED") << "  " << c.step << ": " << c.detail << "\n";
  out << (result->ok ? "connection test passed" : "connection test failed") << "\n";
  return result->ok ? kExitOk : kExitFailure;
}

int run(const GlobalOptions& g, const CommandLine& a, std::ostream& out, std::ostream& err) {
  if (!a.positional.empty() && a.positional[0] == "test") {
    auto st = openStore(g.dataDir, g.storeUri);
    if (!st) return fail(err, kName, st.status());
    return testConnection(g, **st, a, out, err);
  }
  if (a.positional.empty() || (a.positional[0] != "get" && a.positional[0] != "set"))
    return usage(err, kName, "settings needs get, set or test");
  bool set = a.positional[0] == "set";
  auto st = openStore(g.dataDir, g.storeUri);
  if (!st) return fail(err, kName, st.status());
  auto dirName = a.value("directory");
  if (a.value("plugin") && !dirName) return usage(err, kName, "--plugin needs --directory NAME");
  if (!dirName) return set ? hostSet(**st, a, out, err) : hostGet(**st, a, out, err);
  auto d = (*st)->directoryByName(*dirName);
  if (!d) return fail(err, kName, d.status());
  if (a.value("plugin")) return pluginGetSet(g, **st, *d, set, a, out, err);
  return directoryGetSet(**st, *d, set, a, out, err);
}

}  // namespace

Command settingsCommand() {
  Command c;
  c.name = kName;
  c.summary = "show or change host settings, a directory's connection settings, or a plugin's page";
  c.usage = "get|set|test [KEY VALUE | KEY=VALUE ...] [--directory NAME [--plugin KEY --page PAGE]]\n"
            "       [--secret KEY] [--secret-file KEY=PATH] [--set-file KEY=PATH] [--unset KEY]\n"
            "       [--use-directory-connection on|off] [--copy-connection] [--all] [--json]";
  c.details =
      "Without --directory: host settings, e.g. `settings set userPhotos on`.\n"
      "With --directory NAME: that directory's connection settings (see `directory --help`).\n"
      "With --directory NAME --plugin KEY --page PAGE: the plugin's settings page for that directory,\n"
      "e.g. `settings set --plugin photosync --directory Contoso --page entra syncPhotos=true`.\n"
      "Secret fields are given only with --secret (read without echo) or --secret-file, and shown\n"
      "as ********. Values for a plugin page are checked by the plugin before they are saved.\n"
      "`settings get` of a plugin page shows it as a form: each field's value and where it comes from,\n"
      "label, type, default, options, required and caption; fields hidden by shown-when only with --all.\n"
      "A page whose fields repeat the directory's connection (Entra, Google) uses the directory's by\n"
      "default, read at every run: a secret is entered once. --use-directory-connection off (or\n"
      "--copy-connection) gives the page its own credentials, e.g. a separate app registration.\n"
      "`settings test --plugin KEY --directory NAME --page PAGE` runs the plugin's connection test\n"
      "with the saved values (credentials and photo permissions, for real).";
  c.options = {
      {"directory", "NAME", "a directory's settings"},
      {"plugin", "KEY", "a plugin's settings page (with --directory and --page)"},
      {"page", "PAGE", "the page key, e.g. entra, google, scim"},
      {"set", "KEY=VALUE", "a value to set; repeatable (or give KEY=VALUE as arguments)"},
      {"set-file", "KEY=PATH", "a value read from a file; repeatable"},
      {"secret", "KEY", "a secret, read without echo; repeatable"},
      {"secret-file", "KEY=PATH", "a secret read from a file; repeatable"},
      {"unset", "KEY", "remove a saved value; repeatable"},
      {"use-directory-connection", "on|off",
       "plugin page: on (the default for a new page) reads the fields it shares with the directory's connection "
       "from the directory at run time; off uses the page's own"},
      {"copy-connection", "", "plugin page: copy the directory's connection into the page's own credentials (and use them)"},
      {"all", "", "settings get of a plugin page: also the fields hidden by their shown-when rule"},
      {"json", "", "settings get of a plugin page: the page as JSON (labels, captions, options, shown, sources)"},
      {"force", "", "plugin page: save even when the plugin's validation refuses the values"},
  };
  c.run = &run;
  return c;
}

}  // namespace samplehost::app
