#include "photosync/sync/tally.h"

#include <utility>

namespace photosync::sync {
namespace {

using hostapi::LogLevel;

constexpr const char* kEvents[kOutcomeCount] = {
    "avatar updated",      "photo unchanged", "avatar reverted to default", "revert held back",
    "no photo at the IdP", "user skipped",    "photo sync failed"};
constexpr LogLevel kLevels[kOutcomeCount] = {LogLevel::kInfo,    LogLevel::kDebug, LogLevel::kInfo,
                                             LogLevel::kWarning, LogLevel::kInfo,  LogLevel::kInfo,
                                             LogLevel::kWarning};

}  // namespace

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
  if (o == Outcome::kUpdated || o == Outcome::kUnchanged) return;
  if (entries_.size() < maxEntries_)
    entries_.push_back({user.id, user.username, outcomeName(o), reason});
  else
    ++droppedEntries_;
}

void Tally::note(std::string text) {
  std::lock_guard lk(mu_);
  notes_.push_back(std::move(text));
}

void Tally::notProcessed(std::uint64_t users) { notProcessed_ += users; }

hostapi::SyncReport Tally::report(const std::string& pluginKey, bool completed,
                                  const providers::ProviderStats& stats, double seconds) const {
  hostapi::SyncReport r;
  r.pluginKey = pluginKey;
  r.completed = completed;
  std::lock_guard lk(mu_);
  for (std::size_t i = 0; i < kOutcomeCount; ++i)
    r.counts.push_back({outcomeName(static_cast<Outcome>(i)), counts_[i]});
  r.entries = entries_;
  r.notes = notes_;
  if (droppedEntries_ > 0)
    r.notes.push_back("... and " + std::to_string(droppedEntries_) +
                      " more users not updated or unchanged (see the log for each)");
  if (const auto np = notProcessed_.load(); np > 0)
    r.notes.push_back("cancelled: " + std::to_string(np) +
                      " users were not processed; their avatars and state are as before");
  r.metrics = {{"requests", static_cast<double>(stats.requests), ""},
               {"batch sub-requests", static_cast<double>(stats.batchSubRequests), ""},
               {"retries", static_cast<double>(stats.retries), ""},
               {"bytes downloaded", static_cast<double>(stats.bytesDownloaded), "bytes"},
               {"duration", seconds, "s"}};
  return r;
}

}  // namespace photosync::sync
