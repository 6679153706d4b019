#include "testsupport/images.h"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include <jpeglib.h>

namespace testsupport {

std::string gradientJpeg(std::uint32_t width, std::uint32_t height, std::uint32_t seed) {
  if (width == 0 || height == 0) throw std::invalid_argument("gradientJpeg: empty size");
  std::vector<unsigned char> row(std::size_t{width} * 3);
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr jerr{};
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buf, &size);
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 90, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    const std::uint32_t y = cinfo.next_scanline;
    for (std::uint32_t x = 0; x < width; ++x) {
      row[std::size_t{x} * 3 + 0] = static_cast<unsigned char>((x * 255 / width + seed * 37) & 0xFF);
      row[std::size_t{x} * 3 + 1] = static_cast<unsigned char>((y * 255 / height + seed * 91) & 0xFF);
      row[std::size_t{x} * 3 + 2] = static_cast<unsigned char>(((x + y) * 127 / (width + height) + seed * 13) & 0xFF);
    }
    JSAMPROW rows[] = {row.data()};
    jpeg_write_scanlines(&cinfo, rows, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::string out(reinterpret_cast<const char*>(buf), size);
  std::free(buf);
  return out;
}

}  // namespace testsupport
