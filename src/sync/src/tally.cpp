#include "photosync/sync/tally.h"

#include <algorithm>
#include <string>
#include <utility>

#include "photosync/common/text.h"

namespace photosync::sync {
namespace {

using hostapi::LogLevel;

constexpr const char* kEvents[kOutcomeCount] = {
    "avatar updated",      "photo unchanged", "avatar reverted to default", "revert held back",
    "no photo at the IdP", "user skipped",    "photo sync failed"};
constexpr LogLevel kLevels[kOutcomeCount] = {LogLevel::kInfo,    LogLevel::kDebug, LogLevel::kInfo,
                                             LogLevel::kWarning, LogLevel::kInfo,  LogLevel::kInfo,
                                             LogLevel::kWarning};

// The report's order of entries: what needs an admin first.
constexpr Outcome kEntryOrder[] = {Outcome::kFailed, Outcome::kHeldBack, Outcome::kReverted, Outcome::kSkipped,
                                   Outcome::kUpdated, Outcome::kWithoutPhoto};
// Distinct failure reasons remembered for the summary; beyond, new reasons are not counted.
constexpr std::size_t kMaxReasons = 256;
constexpr const char* kLeftAsIs = "; avatar left as is";

std::string cause(std::string reason) {
  if (reason.size() > std::char_traits<char>::length(kLeftAsIs) &&
      reason.compare(reason.size() - std::char_traits<char>::length(kLeftAsIs), std::string::npos, kLeftAsIs) == 0)
    reason.resize(reason.size() - std::char_traits<char>::length(kLeftAsIs));
  return reason;
}

bool has(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

}  // namespace

std::string allFailedNote(const std::string& reason) {
  const std::string c = cause(reason);
  std::string fix;
  // Host-api 1.3: the reason names which copy of the credentials was refused (the directory's
  // connection or the page's own); the fix names the same place.
  const std::string where = has(c, "of directory '") && has(c, "'s connection")
                                ? "the directory's connection settings (sample-host settings set --directory NAME)"
                                : "the directory's Entra ID page";
  if (has(c, "AADSTS7000215") || has(c, "AADSTS7000222") || has(c, "invalid client secret"))
    fix = "replace the client secret on " + where + " (the secret's Value, not its ID)";
  else if (has(c, "AADSTS700027") || has(c, "AADSTS700024"))
    fix = "check the certificate on " + where + " and its upload to the app registration";
  else if (has(c, "AADSTS"))
    fix = "correct the directory's Entra ID page as the message says, then run \"directory test\"";
  else if (has(c, "domain-wide delegation"))
    fix = "grant the client id the scope under domain-wide delegation in the Google Admin console";
  else if (has(c, "permission missing"))
    fix = "grant the permission named above (with admin consent), then sync again";
  else if (has(c, "throttled") || has(c, "could not be reached") || has(c, "503") || has(c, "500"))
    fix = "the identity provider is unavailable or throttling; sync again later";
  else
    fix = "fix the cause above, then sync again (\"directory test\" checks the settings)";
  return "every photo request failed: " + c + " \u2014 " + fix;
}

const char* outcomeName(Outcome o) noexcept {
  switch (o) {
    case Outcome::kUpdated: return "updated";
    case Outcome::kUnchanged: return "unchanged";
    case Outcome::kReverted: return "reverted";
    case Outcome::kHeldBack: return "heldBack";
    case Outcome::kWithoutPhoto: return "withoutPhoto";
    case Outcome::kSkipped: return "skipped";
    case Outcome::kFailed: return "failed";
  }
  return "failed";
}

Tally::Tally(hostapi::Logger* logger, bool dryRun, std::size_t maxEntries)
    : logger_(logger), dryRun_(dryRun), maxEntries_(maxEntries) {}

void Tally::log(LogLevel level, const char* event, std::vector<hostapi::LogField> fields) {
  if (logger_ == nullptr) return;
  try {
    logger_->log(level, event, std::move(fields));
  } catch (...) {
  }
}

void Tally::record(Outcome o, const hostapi::User& user, const std::string& directory,
                   const std::string& reason) {
  const auto idx = static_cast<std::size_t>(o);
  std::vector<hostapi::LogField> fields{{"user", user.username.empty() ? user.id : user.username},
                                        {"userId", user.id},
                                        {"directory", directory}};
  if (!reason.empty()) fields.push_back({"reason", reason});
  if (dryRun_) fields.push_back({"dryRun", "true"});
  log(kLevels[idx], kEvents[idx], std::move(fields));

  std::lock_guard lk(mu_);
  ++counts_[idx];
  if (o == Outcome::kFailed) {
    auto it = failureReasons_.find(reason);
    if (it != failureReasons_.end()) ++it->second;
    else if (failureReasons_.size() < kMaxReasons) failureReasons_.emplace(reason, 1);
  }
  if (o == Outcome::kUpdated || o == Outcome::kUnchanged) return;
  if (entries_[idx].size() < maxEntries_) entries_[idx].push_back({user.id, user.username, outcomeName(o), reason});
}

void Tally::note(std::string text) {
  std::lock_guard lk(mu_);
  notes_.push_back(std::move(text));
}

void Tally::notProcessed(std::uint64_t users, NotProcessed why) {
  switch (why) {
    case NotProcessed::kCancelled: notProcessed_ += users; break;
    case NotProcessed::kBreaker: stoppedEarly_ += users; break;
    case NotProcessed::kLockLost: leaseLost_ += users; break;
  }
}

hostapi::SyncReport Tally::report(const std::string& pluginKey, bool completed,
                                  const providers::ProviderStats& stats, double seconds) const {
  hostapi::SyncReport r;
  r.pluginKey = pluginKey;
  r.completed = completed;
  std::lock_guard lk(mu_);
  std::uint64_t attempted = 0;
  std::uint64_t withEntries = 0;
  for (std::size_t i = 0; i < kOutcomeCount; ++i) {
    const auto o = static_cast<Outcome>(i);
    r.counts.push_back({outcomeName(o), counts_[i]});
    if (o != Outcome::kSkipped) attempted += counts_[i];
    if (o != Outcome::kUpdated && o != Outcome::kUnchanged) withEntries += counts_[i];
  }
  for (Outcome o : kEntryOrder)
    for (const auto& e : entries_[static_cast<std::size_t>(o)]) {
      if (r.entries.size() >= maxEntries_) break;
      r.entries.push_back(e);
    }
  const std::uint64_t failed = counts_[static_cast<std::size_t>(Outcome::kFailed)];
  // The most common failure reason, and every one that repeats, most frequent first.
  std::vector<std::pair<std::uint64_t, std::string>> reasons;
  for (const auto& [reason, n] : failureReasons_) reasons.emplace_back(n, reason);
  std::stable_sort(reasons.begin(), reasons.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  if (failed > 0 && failed == attempted && !reasons.empty()) r.notes.push_back(allFailedNote(reasons.front().second));
  r.notes.insert(r.notes.end(), notes_.begin(), notes_.end());
  std::size_t summarized = 0;
  for (const auto& [n, reason] : reasons) {
    if (n < 2 || summarized == 5) break;
    r.notes.push_back(countOf(n, "user", "users") + " failed: " + cause(reason));
    ++summarized;
  }
  if (withEntries > r.entries.size())
    r.notes.push_back("... and " + std::to_string(withEntries - r.entries.size()) +
                      " more users not updated or unchanged (see the log for each)");
  if (const auto np = notProcessed_.load(); np > 0)
    r.notes.push_back(countOf(np, "user", "users") +
                      " not processed: the run was cancelled; their avatars and state are as before");
  if (const auto se = stoppedEarly_.load(); se > 0)
    r.notes.push_back(countOf(se, "user", "users") +
                      " not processed: the run stopped early (see above); their avatars and state are as before");
  if (const auto ll = leaseLost_.load(); ll > 0)
    r.notes.push_back(countOf(ll, "user", "users") +
                      " not processed: this node lost the cluster lock of their directory's photo work (see above); "
                      "their avatars and state are as before");
  r.metrics = {{"requests", static_cast<double>(stats.requests), ""},
               {"batch sub-requests", static_cast<double>(stats.batchSubRequests), ""},
               {"retries", static_cast<double>(stats.retries), ""},
               {"bytes downloaded", static_cast<double>(stats.bytesDownloaded), "bytes"},
               {"duration", seconds, "s"}};
  return r;
}

}  // namespace photosync::sync
