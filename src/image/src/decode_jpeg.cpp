// Full JPEG decode with libjpeg-turbo, made safe for hostile input:
// - errors longjmp back here instead of exit() (libjpeg's default), with the text captured;
// - corrupt-data warnings once scan data starts are decided per class (docs/architecture.md,
//   "Images"): what loses picture data is refused (an avatar with grey blocks in it is not
//   "intact"), what libjpeg recovers completely is accepted: extraneous bytes between markers
//   (skipped after a scan's complete entropy data; before a restart marker they are refused), and in a progressive file a scan order libjpeg calls
//   inconsistent, or a refinement scan that ends early, provided that at the end every
//   coefficient of every component has a value (coef_bits >= 0). A missing DC scan is refused;
//   Motion-JPEG frames without DHT decode with the standard tables and raise no warning;
// - a cap on the number of progressive scans (thousands of tiny scans are a known CPU DoS) and
//   on libjpeg's own memory (progressive images keep every coefficient in memory).
//
// setjmp/longjmp and C++: nothing with a destructor lives in a frame that longjmp unwinds. All
// buffers are owned by the caller of decodeJpegCore(), which itself holds only PODs.
#include <algorithm>
#include <csetjmp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

// jpeglib.h needs FILE and size_t declared first.
#include <jerror.h>
#include <jpeglib.h>

#include "internal.h"

namespace photosync::image {
namespace {

constexpr int kMaxProgressiveScans = 1000;

struct ErrorManager {
  jpeg_error_mgr pub;  // first: libjpeg sees an ErrorManager* as a jpeg_error_mgr*
  std::jmp_buf jump;
  bool dataPhase;                         // scan data has started: warnings are refusals now
  int dataWarnings;
  int firstWarningCode;
  char firstWarning[JMSG_LENGTH_MAX];
  char error[JMSG_LENGTH_MAX];
  int errorCode;
  bool scanLimitHit;
  int deferredCode;                       // first warning accepted only if the picture is complete
  char deferredWarning[JMSG_LENGTH_MAX];
  int missingDcComponent;                 // >= 0: no DC scan for this component (set at the end)
};

struct ProgressMonitor {
  jpeg_progress_mgr pub;  // first, as above
  j_decompress_ptr cinfo;
};

void onErrorExit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->error);
  err->errorCode = cinfo->err->msg_code;
  std::longjmp(err->jump, 1);
}

void onEmitMessage(j_common_ptr cinfo, int level) {
  if (level >= 0) return;  // trace messages
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  const int code = cinfo->err->msg_code;
  // A file that ends early is corrupt whenever it happens; other warnings before the scan data
  // concern markers libjpeg skipped (junk between header segments, odd JFIF versions) and do
  // not touch a pixel.
  if (!err->dataPhase && code != JWRN_JPEG_EOF) return;
  if (err->dataPhase) {
    // Bytes skipped while looking for a marker come after a complete segment of entropy data;
    // a gap in that data would have shown as a Huffman error or a premature end instead.
    // Before a restart marker inside a scan they mean the interval's data did not match its
    // MCUs (hopper_bad_exif.jpg: 1214 bytes before RST0): refused.
    const int marker = cinfo->err->msg_parm.i[1];
    if (code == JWRN_EXTRANEOUS_DATA && !(marker >= JPEG_RST0 && marker <= JPEG_RST0 + 7)) return;
    const auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
    const bool refinement = d->progressive_mode && d->Ah > 0;
    // "Inconsistent progression" comes in two kinds: an AC scan before the component's DC scan
    // (reported for coefficient 0; nothing lost if the DC scan follows), and a refinement of a
    // coefficient whose earlier bits never came (lost: refused at once).
    const int component = cinfo->err->msg_parm.i[0], coefficient = cinfo->err->msg_parm.i[1];
    const bool acBeforeDc = code == JWRN_BOGUS_PROGRESSION && d->progressive_mode && coefficient == 0 && d->Ss > 0;
    if (code == JWRN_BOGUS_PROGRESSION && !acBeforeDc && coefficient == 0 && component >= 0 &&
        component < d->num_components && d->coef_bits != nullptr && d->coef_bits[component][0] < 0)
      err->missingDcComponent = component;
    const bool deferrable = acBeforeDc || (refinement && (code == JWRN_HIT_MARKER || code == JWRN_JPEG_EOF));
    if (deferrable) {
      // Progressive: every coefficient is in memory (bounded by the scan cap), so decide at the
      // end of the input whether the picture is complete.
      if (err->deferredCode == 0) {
        err->deferredCode = code;
        (*cinfo->err->format_message)(cinfo, err->deferredWarning);
      }
      return;
    }
  }
  // Stop at the first sign of corrupt data (as TurboJPEG's TJFLAG_STOPONWARNING does): libjpeg
  // would otherwise fill a 16-megapixel frame from a 100-byte body before we could refuse it.
  err->dataWarnings = 1;
  err->firstWarningCode = code;
  (*cinfo->err->format_message)(cinfo, err->firstWarning);
  std::longjmp(err->jump, 1);
}

void onProgress(j_common_ptr cinfo) {
  auto* progress = reinterpret_cast<ProgressMonitor*>(cinfo->progress);
  if (progress->cinfo->input_scan_number > kMaxProgressiveScans) {
    auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
    err->scanLimitHit = true;
    std::longjmp(err->jump, 1);
  }
}

void cmykToRgba(std::uint8_t* row, std::size_t width, bool inverted) {
  // Adobe writes CMYK inverted (0 = full ink); libjpeg hands it over as stored. The plain
  // multiplicative conversion is what browsers use for untagged CMYK.
  for (std::size_t x = 0; x < width; ++x) {
    std::uint8_t* p = row + x * 4;
    unsigned c = p[0], m = p[1], y = p[2], k = p[3];
    if (!inverted) {
      c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k;
    }
    p[0] = static_cast<std::uint8_t>((c * k + 127) / 255);
    p[1] = static_cast<std::uint8_t>((m * k + 127) / 255);
    p[2] = static_cast<std::uint8_t>((y * k + 127) / 255);
    p[3] = 255;
  }
}

struct Outcome {
  bool failed;
  bool sizeMismatch;
};

// Both decoders' cap on libjpeg's memory: whole-image coefficient buffers of a progressive JPEG
// (2 bytes per coefficient, up to 4 components at full resolution) plus room for its own tables.
std::uint64_t jpegMemoryCap(const Limits& limits) {
  return std::min<std::uint64_t>(limits.maxPixels, std::uint64_t{1} << 40) * 8 + (std::uint64_t{64} << 20);
}

void resetErrors(ErrorManager& err) {
  std::memset(&err, 0, sizeof err);
  err.missingDcComponent = -1;
}

// Both decoders' common steps. The setjmp stays in each decoder (its frame must outlive the
// longjmp); these run before it (the error manager) and after it (memory cap, scan cap, source).
void initDecompressErrors(jpeg_decompress_struct& cinfo, ProgressMonitor& progress, ErrorManager* err) {
  std::memset(&cinfo, 0, sizeof cinfo);
  std::memset(&progress, 0, sizeof progress);
  cinfo.err = jpeg_std_error(&err->pub);
  err->pub.error_exit = onErrorExit;
  err->pub.emit_message = onEmitMessage;
}

void startDecompress(jpeg_decompress_struct& cinfo, ProgressMonitor& progress, std::string_view bytes,
                     std::uint64_t memoryCap) {
  jpeg_create_decompress(&cinfo);
  cinfo.mem->max_memory_to_use = static_cast<long>(memoryCap);
  progress.pub.progress_monitor = onProgress;
  progress.cinfo = &cinfo;
  cinfo.progress = &progress.pub;
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()),
               static_cast<unsigned long>(bytes.size()));
}

// Returns with `err` filled; `pixels` holds height*rowBytes bytes (or one row when !fullImage).
Outcome decodeJpegCore(std::string_view bytes, std::uint64_t memoryCap, ErrorManager* err,
                       std::uint8_t* pixels, std::uint32_t width, std::uint32_t height,
                       unsigned scaleEighths, bool fullImage) {
  jpeg_decompress_struct cinfo;
  ProgressMonitor progress;
  initDecompressErrors(cinfo, progress, err);
  Outcome outcome{false, false};
  if (setjmp(err->jump)) {
    jpeg_destroy_decompress(&cinfo);
    outcome.failed = true;
    return outcome;
  }
  startDecompress(cinfo, progress, bytes, memoryCap);
  jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0);  // EXIF comes from our own parser
  jpeg_read_header(&cinfo, TRUE);
  const bool cmyk = cinfo.num_components == 4;
  cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_EXT_RGBA;
  cinfo.dct_method = JDCT_ISLOW;  // exact integer IDCT: identical output on every machine
  cinfo.scale_num = scaleEighths;  // libjpeg-turbo's DCT scaling M/8, M = 1..8
  cinfo.scale_denom = 8;
  err->dataPhase = true;
  jpeg_start_decompress(&cinfo);  // a progressive file is read to its end here
  if (err->deferredCode != 0 && cinfo.coef_bits != nullptr) {
    bool complete = true;
    for (int c = 0; c < cinfo.num_components; ++c)
      for (int k = 0; k < DCTSIZE2; ++k)
        if (cinfo.coef_bits[c][k] < 0) {
          complete = false;
          if (k == 0 && err->missingDcComponent < 0) err->missingDcComponent = c;
        }
    if (!complete) {
      err->dataWarnings = 1;
      err->firstWarningCode = err->deferredCode;
      std::memcpy(err->firstWarning, err->deferredWarning, sizeof err->firstWarning);
      jpeg_destroy_decompress(&cinfo);
      outcome.failed = true;
      return outcome;
    }
  }
  if (cinfo.output_width != width || cinfo.output_height != height || cinfo.output_components != 4) {
    jpeg_destroy_decompress(&cinfo);
    outcome.failed = true;
    outcome.sizeMismatch = true;
    return outcome;
  }
  const std::size_t rowBytes = std::size_t{width} * 4;
  const bool inverted = cinfo.saw_Adobe_marker != 0;
  while (cinfo.output_scanline < cinfo.output_height) {
    std::uint8_t* row = fullImage ? pixels + std::size_t{cinfo.output_scanline} * rowBytes : pixels;
    JSAMPROW rows[1] = {row};
    if (jpeg_read_scanlines(&cinfo, rows, 1) != 1) break;  // suspension cannot happen with mem src
    if (cmyk && fullImage) cmykToRgba(row, width, inverted);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return outcome;
}

// Where decodeJpegPlanarCore's planes go: the caller's Planar, sized by a callback that runs
// (and returns) inside the setjmp frame before any scan data is read; it allocates, libjpeg does
// not run under it, so no longjmp crosses it.
struct PlaneSink {
  void (*allocate)(PlaneSink* self, int components, const std::uint32_t* widths, const std::uint32_t* heights,
                   const std::size_t* strides, const std::size_t* rows);
  Planar* planar;
  std::uint8_t* base[3];
};

void allocatePlanes(PlaneSink* self, int components, const std::uint32_t* widths, const std::uint32_t* heights,
                    const std::size_t* strides, const std::size_t* rows) {
  for (int c = 0; c < components; ++c) {
    Plane& p = self->planar->plane[c];
    p.width = widths[c];
    p.height = heights[c];
    p.stride = strides[c];
    // Every sample is written by the decoder before use; 16 bytes more for the box filter's
    // 16-byte loads from the last row's taps.
    p.data.resize(strides[c] * rows[c] + 16);
    self->base[c] = p.data.data();
  }
}

struct PlanarOutcome {
  bool failed;
  bool sizeMismatch;
  bool unsupported;
  int components;
  unsigned hf, vf;
};

// The planar decode: raw_data_out, one iMCU row per jpeg_read_raw_data call. Same error manager,
// warning policy and memory cap as decodeJpegCore. Holds only PODs (see the file's comment).
PlanarOutcome decodeJpegPlanarCore(std::string_view bytes, std::uint64_t memoryCap, ErrorManager* err,
                                   PlaneSink* sink, std::uint32_t width, std::uint32_t height) {
  jpeg_decompress_struct cinfo;
  ProgressMonitor progress;
  initDecompressErrors(cinfo, progress, err);
  PlanarOutcome outcome{false, false, false, 0, 1, 1};
  if (setjmp(err->jump)) {
    jpeg_destroy_decompress(&cinfo);
    outcome.failed = true;
    return outcome;
  }
  startDecompress(cinfo, progress, bytes, memoryCap);
  jpeg_read_header(&cinfo, TRUE);
  // What the planar path handles; the rest goes to the RGB path before any scan data is read.
  const int n = cinfo.num_components;
  bool ok = cinfo.data_precision == 8 && !cinfo.progressive_mode && !cinfo.arith_code &&
            ((n == 1 && cinfo.jpeg_color_space == JCS_GRAYSCALE) || (n == 3 && cinfo.jpeg_color_space == JCS_YCbCr));
  // Sampling factors of 1 or 2 (rowPointers below holds two blocks of rows per component).
  for (int c = 0; ok && c < n; ++c) ok = cinfo.comp_info[c].h_samp_factor <= 2 && cinfo.comp_info[c].v_samp_factor <= 2;
  if (ok && n == 3) {
    const jpeg_component_info* c = cinfo.comp_info;
    const int h = c[0].h_samp_factor, v = c[0].v_samp_factor;
    ok = h == cinfo.max_h_samp_factor && v == cinfo.max_v_samp_factor && c[1].h_samp_factor == c[2].h_samp_factor &&
         c[1].v_samp_factor == c[2].v_samp_factor && (h == c[1].h_samp_factor || h == 2 * c[1].h_samp_factor) &&
         (v == c[1].v_samp_factor || v == 2 * c[1].v_samp_factor);
    if (ok) {
      outcome.hf = static_cast<unsigned>(h / c[1].h_samp_factor);
      outcome.vf = static_cast<unsigned>(v / c[1].v_samp_factor);
    }
  }
  if (!ok) {
    jpeg_destroy_decompress(&cinfo);
    outcome.unsupported = true;
    return outcome;
  }
  outcome.components = n;
  cinfo.raw_data_out = TRUE;
  cinfo.out_color_space = cinfo.jpeg_color_space;
  cinfo.dct_method = JDCT_ISLOW;  // as decodeJpegCore: the same samples on every machine
  err->dataPhase = true;
  jpeg_start_decompress(&cinfo);
  if (cinfo.image_width != width || cinfo.image_height != height) {
    jpeg_destroy_decompress(&cinfo);
    outcome.failed = true;
    outcome.sizeMismatch = true;
    return outcome;
  }
  // Each component's rows as libjpeg writes them: whole blocks across (rounded up to its MCU
  // width), whole iMCU rows down.
  std::uint32_t widths[3], heights[3];
  std::size_t strides[3], rows[3];
  for (int c = 0; c < n; ++c) {
    const jpeg_component_info& comp = cinfo.comp_info[c];
    const std::size_t hs = static_cast<std::size_t>(comp.h_samp_factor);
    widths[c] = comp.downsampled_width;
    heights[c] = comp.downsampled_height;
    strides[c] = (comp.width_in_blocks + hs - 1) / hs * hs * DCTSIZE;
    rows[c] = std::size_t{cinfo.total_iMCU_rows} * static_cast<std::size_t>(comp.v_samp_factor) * DCTSIZE;
  }
  sink->allocate(sink, n, widths, heights, strides, rows);
  JSAMPROW rowPointers[3][2 * DCTSIZE];
  JSAMPARRAY planes[3] = {rowPointers[0], rowPointers[1], rowPointers[2]};
  const JDIMENSION linesPerCall = static_cast<JDIMENSION>(cinfo.max_v_samp_factor * DCTSIZE);
  for (JDIMENSION imcu = 0; cinfo.output_scanline < cinfo.output_height; ++imcu) {
    for (int c = 0; c < n; ++c) {
      const std::size_t v = static_cast<std::size_t>(cinfo.comp_info[c].v_samp_factor) * DCTSIZE;
      for (std::size_t r = 0; r < v; ++r) rowPointers[c][r] = sink->base[c] + (imcu * v + r) * strides[c];
    }
    if (jpeg_read_raw_data(&cinfo, planes, linesPerCall) == 0) break;  // no suspension with mem src
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return outcome;
}

std::string describeJpegError(const ErrorManager& err) {
  if (err.scanLimitHit) {
    return "corrupt JPEG: more than " + std::to_string(kMaxProgressiveScans) + " progressive scans";
  }
  if (err.missingDcComponent >= 0) {
    return "corrupt JPEG: the progressive file has no DC scan for component " +
           std::to_string(err.missingDcComponent) + ", so every block has lost its base colour";
  }
  int code = err.errorCode;
  const char* text = err.error;
  if (err.dataWarnings > 0 && code == 0) {
    code = err.firstWarningCode;
    text = err.firstWarning;
  }
  if (code == JWRN_JPEG_EOF || code == JERR_INPUT_EOF || code == JERR_INPUT_EMPTY) {
    return "corrupt JPEG: premature end of data (truncated?)";
  }
  if (code == JERR_OUT_OF_MEMORY || code == JERR_NO_BACKING_STORE) {
    return "JPEG needs more memory to decode than allowed (too large or too many components)";
  }
  std::string_view t(text);
  for (std::string_view prefix : {"Corrupt JPEG data: ", "Warning: "}) {
    if (t.substr(0, prefix.size()) == prefix) t.remove_prefix(prefix.size());
  }
  std::string msg = "corrupt JPEG: " + std::string(t);
  if (msg.size() > 14 && msg[14] >= 'A' && msg[14] <= 'Z' && !(msg.size() > 15 && msg[15] >= 'A' && msg[15] <= 'Z')) {
    msg[14] = static_cast<char>(msg[14] - 'A' + 'a');
  }
  return msg;
}

}  // namespace

hostapi::Status decodeJpeg(std::string_view bytes, const ImageInfo& info, const Limits& limits,
                           Raster* out, unsigned scaleEighths) {
  if (info.bitDepth != 8) {
    return hostapi::invalidArgument(std::to_string(info.bitDepth) + "-bit JPEG is not supported");
  }
  if (info.channels != 1 && info.channels != 3 && info.channels != 4) {
    return hostapi::invalidArgument("JPEG with " + std::to_string(info.channels) +
                                    " colour components is not supported");
  }
  if (scaleEighths < 1 || scaleEighths > 8) scaleEighths = 8;
  // libjpeg-turbo's output size for scale M/8: ceil(size * M / 8) (jdiv_round_up in
  // jpeg_core_output_dimensions).
  const std::uint32_t width = static_cast<std::uint32_t>((std::uint64_t{info.width} * scaleEighths + 7) / 8);
  const std::uint32_t height = static_cast<std::uint32_t>((std::uint64_t{info.height} * scaleEighths + 7) / 8);
  const std::size_t rowBytes = std::size_t{width} * 4;
  std::vector<std::uint8_t> scratch;
  std::uint8_t* pixels = nullptr;
  if (out != nullptr) {
    out->width = width;
    out->height = height;
    out->rgba.assign(rowBytes * height, 0);
    pixels = out->rgba.data();
  } else {
    scratch.assign(rowBytes, 0);
    pixels = scratch.data();
  }
  const std::uint64_t memoryCap = jpegMemoryCap(limits);
  ErrorManager err;
  resetErrors(err);
  const Outcome o = decodeJpegCore(bytes, memoryCap, &err, pixels, width, height, scaleEighths, out != nullptr);
  if (o.sizeMismatch) return hostapi::invalidArgument("corrupt JPEG: the frame header is inconsistent");
  if (o.failed || err.dataWarnings > 0) {
    if (out != nullptr) *out = Raster{};
    return hostapi::invalidArgument(describeJpegError(err));
  }
  return hostapi::Status::ok();
}

hostapi::Status decodeJpegPlanar(std::string_view bytes, const ImageInfo& info, const Limits& limits,
                                 Planar& out, bool& unsupported) {
  unsupported = false;
  if (info.bitDepth != 8) {
    return hostapi::invalidArgument(std::to_string(info.bitDepth) + "-bit JPEG is not supported");
  }
  const std::uint64_t memoryCap = jpegMemoryCap(limits);
  ErrorManager err;
  resetErrors(err);
  PlaneSink sink{allocatePlanes, &out, {nullptr, nullptr, nullptr}};
  const PlanarOutcome o = decodeJpegPlanarCore(bytes, memoryCap, &err, &sink, info.width, info.height);
  if (o.unsupported) {
    unsupported = true;
    return hostapi::Status::ok();
  }
  if (o.sizeMismatch) return hostapi::invalidArgument("corrupt JPEG: the frame header is inconsistent");
  if (o.failed || err.dataWarnings > 0) return hostapi::invalidArgument(describeJpegError(err));
  out.width = info.width;
  out.height = info.height;
  out.components = o.components;
  out.hf = o.hf;
  out.vf = o.vf;
  return hostapi::Status::ok();
}

}  // namespace photosync::image
