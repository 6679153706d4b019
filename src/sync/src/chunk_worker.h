// photosync::sync (internal) — the body of one worker thread of a directory. It pops chunk after
// chunk from the directory's RunQueue and decides each (identifiers, one versions() call, the
// state rows, the current avatars, then decide() per user), and pools the downloads of consecutive
// chunks until they fill a batch (chunkSize) or the queue has nothing ready, so a sync where few
// photos changed sends full $value batches instead of one small batch per chunk. The pooled photos
// go to the Applier in one call.
#pragma once

#include <memory>
#include <vector>

#include "applier.h"
#include "run_context.h"

namespace photosync::sync {

class ChunkWorker {
 public:
  ChunkWorker(RunContext& runContext, DirectoryRun& dir, Applier& applier)
      : run_(runContext), d_(dir), applier_(applier) {}

  /// Until the queue is closed and drained.
  void run();

 private:
  /// The decisions of one chunk; what must be downloaded is left in w.toDownload.
  void decideChunk(Work& w);
  void gatherAndDecide(Work& w);

  RunContext& run_;
  DirectoryRun& d_;
  Applier& applier_;
};

}  // namespace photosync::sync
