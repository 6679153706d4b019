// photosync::sync (internal) — applies what was decided to the host: downloads the photos of the
// chunks a worker pooled (one download call), prepares each through the ImageProcessor, writes
// the avatars with compare-and-swap (AvatarService::replace with the origin and hash read before),
// writes each chunk's state rows after its avatars (one putMany), and in onSyncFinished carries out
// the revert guard's plan (resetToDefault, rows). Checks cancellation before each provider call
// and each avatar write; nothing is written in a dry run.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "run_context.h"

namespace photosync::sync {

class Applier {
 public:
  explicit Applier(RunContext& run) : run_(run) {}

  /// One download call for the photos of every chunk in `open`, each chunk's photos applied and
  /// its rows written (complete()); `open` is left empty.
  void downloadAndApply(DirectoryRun& d, std::vector<std::unique_ptr<Work>>& open);
  /// The chunk is done: its state rows written (only for users whose avatar write succeeded or
  /// who needed none) and its users counted in the host's progress.
  void complete(DirectoryRun& d, Work& w);
  /// The guard's plan for the directory's pending reverts, carried out: held ones recorded
  /// (held_store), the rest reverted; held records the run found obsolete removed.
  void applyReverts(DirectoryRun& d);
  /// The run note on the directory's held reverts (how many, since when, how to decide).
  void noteHeld(const DirectoryRun& d);

 private:
  /// The downloaded photos of `w` (photos[offset ...]): prepared and stored.
  void applyPhotos(DirectoryRun& d, Work& w, std::vector<providers::PhotoData>& photos,
                   std::size_t offset);
  void writeRows(const DirectoryRun& d, const std::vector<std::pair<std::string, std::string>>& rows);
  void eraseKey(const DirectoryRun& d, const std::string& key);
  /// Writes `it`'s row with the refused photo's version tag (nothing without a tag).
  /// Status rows (user_state.h) for the users `w` decided whose outcome or reason changed.
  void addStatusRows(Work& w);
  void rememberRefusal(const DirectoryRun& d, Work& w, const Item& it, const std::string& reason);

  RunContext& run_;
};

}  // namespace photosync::sync
