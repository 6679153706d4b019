// Test helpers shared by the loader and CLI tests: a temporary plugin directory and functions
// that assemble plugin folders in it (copy a module, write plugin.xml).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace loadertest {

/// A fresh directory under the system temp dir, removed with everything in it at the end.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "h2-loader-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline void writeFile(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

inline std::string manifestXml(const std::string& key, const std::string& module,
                               const std::string& apiMin = "1.0",
                               const std::string& apiMax = "1.0",
                               const std::string& interfaceId = "org.photosync.hostapi.Plugin/1") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<plugin key=\"" + key + "\" interface=\"" + interfaceId + "\">\n"
         "  <name>Test plugin " + key + "</name>\n"
         "  <version>0.0.1</version>\n"
         "  <host-api min=\"" + apiMin + "\" max=\"" + apiMax + "\"/>\n"
         "  <module>" + module + "</module>\n"
         "  <settings>\n"
         "    <page key=\"entra\" kind=\"entra\" title=\"Test Entra Page\">\n"
         "      <field key=\"syncPhotos\" type=\"toggle\" label=\"Sync user photos\" default=\"false\"/>\n"
         "    </page>\n"
         "  </settings>\n"
         "</plugin>\n";
}

/// Makes `dir/folder` a plugin folder: plugin.xml for `key` and a copy of `module` as `libtest.so`.
/// Returns the folder.
inline std::filesystem::path addPlugin(const std::filesystem::path& dir, const std::string& folder,
                                       const std::string& key, const std::string& module) {
  const auto f = dir / folder;
  std::filesystem::create_directories(f);
  writeFile(f / "plugin.xml", manifestXml(key, "libtest.so"));
  std::filesystem::copy_file(module, f / "libtest.so",
                             std::filesystem::copy_options::overwrite_existing);
  return f;
}

}  // namespace loadertest
