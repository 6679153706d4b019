// image_stage_timer: CPU time per stage of normalise() on idp-sim's photos, the RGB path against
// the planar one (issue 14; docs/benchmarks.md, "fourth round (a)"). Not a test and not built by
// default: `cmake --build --preset dev --target image_stage_timer`, then
// `build/dev/tests/image/image_stage_timer [photo side, 360] [avatar side, 256]`. Figures are the
// best of 7 rounds of 200 photos (20 different ones), in thread CPU time.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "image_gen.h"
#include "internal.h"

namespace img = photosync::image;

namespace {

double cpuNow() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Best of 7 rounds, each `perRound` calls of f(i): ms per call.
double bestMs(int perRound, const std::function<void(int)>& f) {
  double best = 1e9;
  for (int round = 0; round < 7; ++round) {
    const double t0 = cpuNow();
    for (int i = 0; i < perRound; ++i) f(i);
    best = std::min(best, (cpuNow() - t0) * 1e3 / perRound);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const int side = argc > 1 ? std::atoi(argv[1]) : 360;
  const std::uint32_t target = argc > 2 ? static_cast<std::uint32_t>(std::atoi(argv[2])) : 256;
  std::vector<std::string> photos;
  for (int k = 0; k < 20; ++k) photos.push_back(idpsim::renderPhoto(idpsim::mix64(k + 1), side, idpsim::ImageFormat::Jpeg, "AB"));
  std::vector<img::ImageInfo> infos;
  for (const auto& p : photos) infos.push_back(*img::inspect(p));
  const int n = 200;
  auto at = [&](int i) { return static_cast<std::size_t>(i) % photos.size(); };
  img::NormaliseOptions opt;
  opt.targetSize = target;

  img::Raster decoded, scaled;
  img::ScaleBuffers buffers;
  const double rgbDecode = bestMs(n, [&](int i) { (void)img::decodeJpeg(photos[at(i)], infos[at(i)], opt.limits, &decoded); });
  const double rgbScale = bestMs(n, [&](int) { img::scaleArea(decoded, target, scaled, false, &buffers); });
  const double rgbEncode = bestMs(n, [&](int) { (void)img::encodeJpeg(scaled, opt.jpegQuality); });
  const double rgbAll = bestMs(n, [&](int i) { (void)img::normaliseWith(photos[at(i)], opt, false, nullptr); });

  img::PlanarScratch ps;
  bool unsupported = false;
  const double plDecode =
      bestMs(n, [&](int i) { (void)img::decodeJpegPlanar(photos[at(i)], infos[at(i)], opt.limits, ps.decoded, unsupported); });
  const double plScale = bestMs(n, [&](int) { img::scalePlanar(ps.decoded, target, ps, ps.scaled); });
  const double plEncode = bestMs(n, [&](int) { (void)img::encodeJpegPlanar(ps.scaled, opt.jpegQuality); });
  img::NormalisePath path = img::NormalisePath::kRgb;
  const double plAll = bestMs(n, [&](int i) { (void)img::normaliseWith(photos[at(i)], opt, true, &path); });

  double rgbBytes = 0, planarBytes = 0;
  for (const auto& p : photos) {
    rgbBytes += static_cast<double>(img::normaliseWith(p, opt, false, nullptr)->bytes.size());
    planarBytes += static_cast<double>(img::normaliseWith(p, opt, true, nullptr)->bytes.size());
  }
  std::printf("idp-sim %d px JPEG -> %u px avatar, ms of CPU per photo (best of 7 rounds of %d)\n", side, target, n);
  std::printf("%-8s %8s %8s %8s %10s %10s\n", "path", "decode", "scale", "encode", "normalise", "avatar KB");
  std::printf("%-8s %8.3f %8.3f %8.3f %10.3f %10.1f\n", "rgb", rgbDecode, rgbScale, rgbEncode, rgbAll,
              rgbBytes / static_cast<double>(photos.size()) / 1024);
  std::printf("%-8s %8.3f %8.3f %8.3f %10.3f %10.1f%s\n", "planar", plDecode, plScale, plEncode, plAll,
              planarBytes / static_cast<double>(photos.size()) / 1024,
              path == img::NormalisePath::kPlanar ? "" : "  (normalise did not take the planar path)");
  return 0;
}
