// See secret_box.h.
#include "samplehost/store/secret_box.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "store_crypto.h"

namespace samplehost::store {
namespace {

constexpr unsigned char kFormatVersion = 1;
constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kTagSize = 16;

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

std::string errnoText() { return std::strerror(errno); }

std::string octal(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
  return buf;
}

/// Reads the whole key file through an fd we already checked, so a swap of the path between
/// check and read cannot slip another file in.
hostapi::Result<std::string> readKey(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return hostapi::failedPrecondition("cannot open secret key file " + path.string() + ": " + errnoText());
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    auto msg = errnoText();
    ::close(fd);
    return hostapi::failedPrecondition("cannot stat secret key file " + path.string() + ": " + msg);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return hostapi::failedPrecondition("secret key file " + path.string() + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return hostapi::failedPrecondition("secret key file " + path.string() + " has mode " + octal(st.st_mode) +
                                       " and is readable or writable by group or others; the host refuses "
                                       "to use it. Restrict it with `chmod 600 " + path.string() + "`");
  }
  if (static_cast<std::size_t>(st.st_size) != kSecretKeySize) {
    ::close(fd);
    return hostapi::failedPrecondition("secret key file " + path.string() + " is " + std::to_string(st.st_size) +
                                       " bytes, expected " + std::to_string(kSecretKeySize) +
                                       "; it is damaged or not a sample-host key file");
  }
  std::string key(kSecretKeySize, '\0');
  std::size_t got = 0;
  while (got < key.size()) {
    ssize_t n = ::read(fd, key.data() + got, key.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      auto msg = n < 0 ? errnoText() : std::string("unexpected end of file");
      ::close(fd);
      crypto::wipe(key);
      return hostapi::failedPrecondition("cannot read secret key file " + path.string() + ": " + msg);
    }
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return key;
}

/// Writes a new key to an O_EXCL temp file with mode 0600, fsyncs it and links it into place:
/// link() fails with EEXIST when another process won the race, and then we read theirs. The key
/// file is never visible half-written.
hostapi::Status createKey(const std::filesystem::path& dir, const std::filesystem::path& path) {
  std::string key;
  try {
    key = crypto::randomBytes(kSecretKeySize);
  } catch (const std::exception& e) {
    return hostapi::internalError(std::string("cannot make a secret key: ") + e.what());
  }
  // A name no other starter (process or thread) can pick, so O_EXCL never meets another's file.
  std::string suffix;
  try {
    suffix = crypto::hex(crypto::randomBytes(8));
  } catch (const std::exception& e) {
    crypto::wipe(key);
    return hostapi::internalError(std::string("cannot make a temp name: ") + e.what());
  }
  auto tmp = dir / (std::string(kSecretKeyFileName) + ".tmp." + std::to_string(::getpid()) + "." + suffix);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    crypto::wipe(key);
    return hostapi::failedPrecondition("cannot create secret key file in " + dir.string() + ": " + errnoText());
  }
  std::size_t put = 0;
  bool ok = true;
  while (put < key.size()) {
    ssize_t n = ::write(fd, key.data() + put, key.size() - put);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) { ok = false; break; }
    put += static_cast<std::size_t>(n);
  }
  crypto::wipe(key);
  ok = ok && ::fsync(fd) == 0;
  std::string err = ok ? "" : errnoText();
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    return hostapi::failedPrecondition("cannot write secret key file in " + dir.string() + ": " + err);
  }
  int rc = ::link(tmp.c_str(), path.c_str());
  int linkErr = errno;
  ::unlink(tmp.c_str());
  if (rc != 0 && linkErr != EEXIST)
    return hostapi::failedPrecondition("cannot create secret key file " + path.string() + ": " + std::strerror(linkErr));
  // Make the new directory entry durable too.
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return hostapi::Status::ok();
}

}  // namespace

hostapi::Result<SecretBox> SecretBox::openKeyFile(const std::filesystem::path& dataDir) {
  std::error_code ec;
  std::filesystem::create_directories(dataDir, ec);
  if (ec) return hostapi::failedPrecondition("cannot create data directory " + dataDir.string() + ": " + ec.message());
  auto path = dataDir / kSecretKeyFileName;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT)
      return hostapi::failedPrecondition("cannot stat secret key file " + path.string() + ": " + errnoText());
    if (auto s = createKey(dataDir, path); !s) return s;
  }
  auto key = readKey(path);
  if (!key) return key.status();
  return SecretBox(std::move(key).value());
}

hostapi::Result<SecretBox> SecretBox::fromKey(std::string key) {
  if (key.size() != kSecretKeySize) {
    crypto::wipe(key);
    return hostapi::invalidArgument("a secret key must be " + std::to_string(kSecretKeySize) + " bytes");
  }
  return SecretBox(std::move(key));
}

SecretBox::~SecretBox() { crypto::wipe(key_); }

hostapi::Result<std::string> SecretBox::seal(std::string_view plaintext, std::string_view aad) const {
  if (key_.size() != kSecretKeySize) return hostapi::internalError("secret box has no key");
  std::string nonce;
  try {
    nonce = crypto::randomBytes(kNonceSize);
  } catch (const std::exception& e) {
    return hostapi::internalError(std::string("cannot make a nonce: ") + e.what());
  }
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return hostapi::internalError("out of memory (cipher context)");
  std::string out;
  out.reserve(1 + kNonceSize + plaintext.size() + kTagSize);
  out.push_back(static_cast<char>(kFormatVersion));
  out += nonce;
  out.resize(1 + kNonceSize + plaintext.size());
  auto* ukey = reinterpret_cast<const unsigned char*>(key_.data());
  auto* unonce = reinterpret_cast<const unsigned char*>(nonce.data());
  int len = 0;
  bool ok = EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceSize), nullptr) == 1 &&
            EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, ukey, unonce) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                              static_cast<int>(aad.size())) == 1;
  if (ok && !plaintext.empty())
    ok = EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data() + 1 + kNonceSize), &len,
                           reinterpret_cast<const unsigned char*>(plaintext.data()),
                           static_cast<int>(plaintext.size())) == 1;
  unsigned char tag[kTagSize];
  ok = ok && EVP_EncryptFinal_ex(ctx.get(), tag, &len) == 1 &&
       EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize), tag) == 1;
  if (!ok) return hostapi::internalError("AES-256-GCM encryption failed");
  out.append(reinterpret_cast<const char*>(tag), kTagSize);
  return out;
}

hostapi::Result<std::string> SecretBox::open(std::string_view sealed, std::string_view aad,
                                             std::string_view what) const {
  const std::string prefix = "cannot decrypt secret " + std::string(what) + ": ";
  if (sealed.size() < 1 + kNonceSize + kTagSize || static_cast<unsigned char>(sealed[0]) != kFormatVersion)
    return hostapi::failedPrecondition(prefix + "the stored value is not a sealed secret (damaged store?)");
  const std::size_t ctLen = sealed.size() - 1 - kNonceSize - kTagSize;
  auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data() + 1);
  auto* ct = reinterpret_cast<const unsigned char*>(sealed.data() + 1 + kNonceSize);
  unsigned char tag[kTagSize];
  std::memcpy(tag, sealed.data() + 1 + kNonceSize + ctLen, kTagSize);

  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return hostapi::internalError("out of memory (cipher context)");
  std::string out(ctLen, '\0');
  int len = 0;
  bool ok = EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceSize), nullptr) == 1 &&
            EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, reinterpret_cast<const unsigned char*>(key_.data()),
                               nonce) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                              static_cast<int>(aad.size())) == 1;
  if (ok && ctLen > 0)
    ok = EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, ct,
                           static_cast<int>(ctLen)) == 1;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize), tag) == 1;
  // The tag check: a wrong key, altered bytes and a different AAD (moved value) all fail here.
  ok = ok && EVP_DecryptFinal_ex(ctx.get(), nullptr, &len) == 1;
  if (!ok) {
    crypto::wipe(out);
    return hostapi::failedPrecondition(prefix + "the key file does not match this store, or the stored value was "
                                                "altered or moved to another field");
  }
  return out;
}

}  // namespace samplehost::store
