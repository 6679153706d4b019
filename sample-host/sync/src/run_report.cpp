// See run_report.h. JSON through cpprestsdk's web::json (utility::string_t is std::string on
// Linux); fields are read with has_field/at because operator[] inserts nulls.
#include "samplehost/sync/run_report.h"

#include <cpprest/json.h>

#include "hostapi/run_control.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

namespace samplehost::sync {
namespace {

using web::json::value;

value u64(std::uint64_t v) { return value::number(static_cast<uint64_t>(v)); }

std::string str(const value& obj, const char* key) {
  if (obj.is_object() && obj.has_field(key) && obj.at(key).is_string()) return obj.at(key).as_string();
  return {};
}
std::uint64_t num(const value& obj, const char* key) {
  if (obj.is_object() && obj.has_field(key) && obj.at(key).is_number()) {
    const auto& n = obj.at(key).as_number();
    if (n.is_uint64()) return n.to_uint64();
    double d = obj.at(key).as_double();
    return d > 0 ? static_cast<std::uint64_t>(d) : 0;
  }
  return 0;
}
std::int64_t i64(const value& obj, const char* key) {
  if (obj.is_object() && obj.has_field(key) && obj.at(key).is_number()) {
    const auto& n = obj.at(key).as_number();
    if (n.is_int64()) return n.to_int64();
  }
  return 0;
}
bool flag(const value& obj, const char* key) {
  return obj.is_object() && obj.has_field(key) && obj.at(key).is_boolean() && obj.at(key).as_bool();
}
const web::json::array* arr(const value& obj, const char* key) {
  if (obj.is_object() && obj.has_field(key) && obj.at(key).is_array()) return &obj.at(key).as_array();
  return nullptr;
}

value pluginReportJson(const hostapi::SyncReport& r) {
  value o = value::object();
  o["pluginKey"] = value::string(r.pluginKey);
  o["completed"] = value::boolean(r.completed);
  value counts = value::array();
  std::size_t i = 0;
  for (const auto& c : r.counts) {
    value e = value::object();
    e["name"] = value::string(c.name);
    e["value"] = u64(c.value);
    counts[i++] = e;
  }
  o["counts"] = counts;
  value entries = value::array();
  i = 0;
  for (const auto& en : r.entries) {
    value e = value::object();
    e["userId"] = value::string(en.userId);
    e["username"] = value::string(en.username);
    e["outcome"] = value::string(en.outcome);
    e["reason"] = value::string(en.reason);
    entries[i++] = e;
  }
  o["entries"] = entries;
  value metrics = value::array();
  i = 0;
  for (const auto& m : r.metrics) {
    value e = value::object();
    e["name"] = value::string(m.name);
    e["value"] = value::number(m.value);
    e["unit"] = value::string(m.unit);
    metrics[i++] = e;
  }
  o["metrics"] = metrics;
  value notes = value::array();
  i = 0;
  for (const auto& n : r.notes) notes[i++] = value::string(n);
  o["notes"] = notes;
  return o;
}

hostapi::SyncReport pluginReportFrom(const value& o) {
  hostapi::SyncReport r;
  r.pluginKey = str(o, "pluginKey");
  r.completed = flag(o, "completed");
  if (auto* a = arr(o, "counts"))
    for (const auto& e : *a) r.counts.push_back({str(e, "name"), num(e, "value")});
  if (auto* a = arr(o, "entries"))
    for (const auto& e : *a)
      r.entries.push_back({str(e, "userId"), str(e, "username"), str(e, "outcome"), str(e, "reason")});
  if (auto* a = arr(o, "metrics"))
    for (const auto& e : *a) {
      double v = (e.is_object() && e.has_field("value") && e.at("value").is_number())
                     ? e.at("value").as_double()
                     : 0.0;
      r.metrics.push_back({str(e, "name"), v, str(e, "unit")});
    }
  if (auto* a = arr(o, "notes"))
    for (const auto& e : *a)
      if (e.is_string()) r.notes.push_back(e.as_string());
  return r;
}

std::string formatMetric(const hostapi::ReportMetric& m) {
  char buf[64];
  if (m.value == static_cast<double>(static_cast<long long>(m.value)))
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(m.value));
  else
    std::snprintf(buf, sizeof buf, "%.3f", m.value);
  std::string s = buf;
  if (!m.unit.empty()) s += " " + m.unit;
  return s;
}

/// "1 page", "2 pages".
std::string counted(std::uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

/// "withoutPhoto" -> "without photo": an entry outcome as words.
std::string words(const std::string& camel) {
  std::string out;
  for (char c : camel) {
    if (c >= 'A' && c <= 'Z') {
      if (!out.empty()) out += ' ';
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

void settleStatus(RunReport& report, bool cancelled) {
  report.notes.clear();
  bool failed = false, withFailures = false;
  std::size_t nothingRead = 0;
  for (const auto& d : report.directories) {
    if (!d.completed) {
      withFailures = true;
      if (d.seen == 0) ++nothingRead;
      report.notes.push_back("directory " + d.name + " was not imported completely" +
                             (d.error.empty() ? std::string() : ": " + d.error));
    }
    if (d.held > 0) {
      withFailures = true;
      report.notes.push_back("directory " + d.name + ": " + std::to_string(d.held) +
                             " deactivations held for a decision (sample-host held list)");
    }
  }
  // Nothing imported at all (every directory failed before its first user, e.g. a wrong secret):
  // the run did not happen. A listing cut short after some pages is a run with failures.
  if (!report.directories.empty() && nothingRead == report.directories.size()) failed = true;
  for (const auto& p : report.plugins) {
    if (!p.failures.empty()) {
      withFailures = true;
      report.notes.push_back("plugin " + p.pluginKey + ": " + std::to_string(p.failures.size()) +
                             (p.failures.size() == 1 ? " call failed" : " calls failed"));
    }
    if (p.outcome == hostapi::runOutcomeName(hostapi::RunOutcome::kFailed)) {
      failed = true;
      report.notes.push_back("plugin " + p.pluginKey + " reports its part of the run failed");
    } else if (p.outcome == hostapi::runOutcomeName(hostapi::RunOutcome::kCompletedWithFailures)) {
      withFailures = true;
      report.notes.push_back("plugin " + p.pluginKey + " reports failures");
    }
  }
  if (cancelled) report.status = kRunCancelled;
  else if (failed) report.status = kRunFailed;
  else if (withFailures) report.status = kRunCompletedWithFailures;
  else report.status = kRunCompleted;
  if (report.status == std::string(kRunCompleted)) report.notes.clear();
}

int exitCodeOf(const std::string& status) noexcept {
  if (status == kRunCompleted) return 0;
  if (status == kRunCompletedWithFailures) return 1;
  if (status == kRunFailed) return 3;
  if (status == kRunCancelled) return 4;
  return 1;
}

std::string toJson(const RunReport& report) {
  value o = value::object();
  o["runId"] = value::string(report.runId);
  o["trigger"] = value::string(report.trigger);
  if (!report.nodeId.empty()) o["nodeId"] = value::string(report.nodeId);
  o["dryRun"] = value::boolean(report.dryRun);
  o["status"] = value::string(report.status);
  o["startedAtUnixMs"] = value::number(static_cast<int64_t>(report.startedAtUnixMs));
  o["finishedAtUnixMs"] = value::number(static_cast<int64_t>(report.finishedAtUnixMs));
  value dirs = value::array();
  std::size_t i = 0;
  for (const auto& d : report.directories) {
    value e = value::object();
    e["directoryId"] = value::string(d.directoryId);
    e["name"] = value::string(d.name);
    e["kind"] = value::string(d.kind);
    e["completed"] = value::boolean(d.completed);
    e["error"] = value::string(d.error);
    e["pages"] = u64(d.pages);
    e["seen"] = u64(d.seen);
    e["created"] = u64(d.created);
    e["updated"] = u64(d.updated);
    e["unchanged"] = u64(d.unchanged);
    e["deactivated"] = u64(d.deactivated);
    e["held"] = u64(d.held);
    e["skipped"] = u64(d.skipped);
    value notes = value::array();
    std::size_t j = 0;
    for (const auto& n : d.notes) notes[j++] = value::string(n);
    e["notes"] = notes;
    dirs[i++] = e;
  }
  o["directories"] = dirs;
  value plugins = value::array();
  i = 0;
  for (const auto& p : report.plugins) {
    value e = value::object();
    e["pluginKey"] = value::string(p.pluginKey);
    e["reported"] = value::boolean(p.reported);
    if (p.reported) e["report"] = pluginReportJson(p.report);
    value failures = value::array();
    std::size_t j = 0;
    for (const auto& f : p.failures) {
      value fe = value::object();
      fe["hook"] = value::string(f.hook);
      fe["kind"] = value::string(f.kind);
      fe["detail"] = value::string(f.detail);
      failures[j++] = fe;
    }
    e["failures"] = failures;
    if (!p.outcome.empty()) e["outcome"] = value::string(p.outcome);
    if (!p.routineOutcomes.empty()) {
      value routine = value::array();
      j = 0;
      for (const auto& x : p.routineOutcomes) routine[j++] = value::string(x);
      e["routineOutcomes"] = routine;
    }
    plugins[i++] = e;
  }
  o["plugins"] = plugins;
  value notes = value::array();
  i = 0;
  for (const auto& n : report.notes) notes[i++] = value::string(n);
  o["notes"] = notes;
  return o.serialize();
}

bool fromJson(const std::string& json, RunReport& out) {
  value o;
  try {
    o = value::parse(json);
  } catch (const std::exception&) {
    return false;
  }
  if (!o.is_object()) return false;
  out = {};
  out.runId = str(o, "runId");
  out.trigger = str(o, "trigger");
  out.nodeId = str(o, "nodeId");
  out.dryRun = flag(o, "dryRun");
  out.status = str(o, "status");
  out.startedAtUnixMs = i64(o, "startedAtUnixMs");
  out.finishedAtUnixMs = i64(o, "finishedAtUnixMs");
  if (auto* a = arr(o, "directories"))
    for (const auto& e : *a) {
      DirectoryRunReport d;
      d.directoryId = str(e, "directoryId");
      d.name = str(e, "name");
      d.kind = str(e, "kind");
      d.completed = flag(e, "completed");
      d.error = str(e, "error");
      d.pages = num(e, "pages");
      d.seen = num(e, "seen");
      d.created = num(e, "created");
      d.updated = num(e, "updated");
      d.unchanged = num(e, "unchanged");
      d.deactivated = num(e, "deactivated");
      d.held = num(e, "held");
      d.skipped = num(e, "skipped");
      if (auto* n = arr(e, "notes"))
        for (const auto& x : *n)
          if (x.is_string()) d.notes.push_back(x.as_string());
      out.directories.push_back(std::move(d));
    }
  if (auto* a = arr(o, "plugins"))
    for (const auto& e : *a) {
      PluginRunReport p;
      p.pluginKey = str(e, "pluginKey");
      p.reported = flag(e, "reported");
      if (p.reported && e.has_field("report")) p.report = pluginReportFrom(e.at("report"));
      if (auto* f = arr(e, "failures"))
        for (const auto& fe : *f) p.failures.push_back({str(fe, "hook"), str(fe, "kind"), str(fe, "detail")});
      p.outcome = str(e, "outcome");
      if (auto* rt = arr(e, "routineOutcomes"))
        for (const auto& x : *rt)
          if (x.is_string()) p.routineOutcomes.push_back(x.as_string());
      out.plugins.push_back(std::move(p));
    }
  if (auto* a = arr(o, "notes"))
    for (const auto& x : *a)
      if (x.is_string()) out.notes.push_back(x.as_string());
  return true;
}

std::string toText(const RunReport& r, std::size_t maxEntries, bool showRoutine) {
  std::ostringstream os;
  double secs = static_cast<double>(r.finishedAtUnixMs - r.startedAtUnixMs) / 1000.0;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f", secs < 0 ? 0.0 : secs);
  os << "Run " << r.runId << " (" << r.trigger << (r.nodeId.empty() ? "" : ", node " + r.nodeId)
     << (r.dryRun ? ", dry run" : "") << "): " << r.status
     << " in " << buf << " s\n";
  for (const auto& n : r.notes) os << "  note: " << n << "\n";
  for (const auto& d : r.directories) {
    os << "  Directory " << d.name << " [" << d.kind << "]: " << (d.completed ? "imported" : "NOT complete")
       << " — " << counted(d.seen, "user", "users") << " in " << counted(d.pages, "page", "pages") << "; "
       << d.created << " created, " << d.updated << " updated, " << d.unchanged << " unchanged, " << d.deactivated
       << " deactivated";
    if (d.held) os << ", " << d.held << " held";
    if (d.skipped) os << ", " << d.skipped << " skipped";
    os << "\n";
    if (!d.error.empty()) os << "    error: " << d.error << "\n";
    for (const auto& n : d.notes) os << "    note: " << n << "\n";
  }
  for (const auto& p : r.plugins) {
    os << "  Plugin " << p.pluginKey << ": ";
    if (!p.reported) {
      os << "no report\n";
    } else {
      // A 1.2 plugin's own outcome; before it, whether its report says it completed.
      os << (!p.outcome.empty() ? p.outcome : p.report.completed ? "completed" : "not completed") << "\n";
      if (!p.report.counts.empty()) {
        os << "    ";
        bool first = true;
        for (const auto& c : p.report.counts) {
          os << (first ? "" : ", ") << c.name << " " << c.value;
          first = false;
        }
        os << "\n";
      }
      for (const auto& m : p.report.metrics) os << "    " << m.name << ": " << formatMetric(m) << "\n";
      for (const auto& n : p.report.notes) os << "    note: " << n << "\n";
      // Routine entries (e.g. users without a photo) are a count unless asked for.
      std::map<std::string, std::uint64_t> routine;
      std::vector<const hostapi::ReportEntry*> listed;
      for (const auto& e : p.report.entries) {
        bool isRoutine = !showRoutine && std::find(p.routineOutcomes.begin(), p.routineOutcomes.end(), e.outcome) !=
                                             p.routineOutcomes.end();
        if (isRoutine) ++routine[e.outcome];
        else listed.push_back(&e);
      }
      std::size_t shown = 0;
      for (const auto* e : listed) {
        if (shown++ == maxEntries) {
          os << "    ... and " << (listed.size() - maxEntries)
             << " more (all of them: sample-host runs show " << r.runId << " --all, or --json)\n";
          break;
        }
        os << "    " << e->outcome << ": " << (e->username.empty() ? e->userId : e->username) << " — " << e->reason
           << "\n";
      }
      for (const auto& [outcome, n] : routine)
        os << "    " << counted(n, "user", "users") << " " << words(outcome) << " (listed with --all)\n";
    }
    for (const auto& f : p.failures) os << "    FAILURE in " << f.hook << " (" << f.kind << "): " << f.detail << "\n";
  }
  return os.str();
}

}  // namespace samplehost::sync
