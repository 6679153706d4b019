// Certificate validation stays on: a TLS server with a self-signed certificate is refused.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <mutex>

#include "photosync/http/address_policy.h"
#include "photosync/http/client.h"
#include "test_keys.h"
#include "test_servers.h"

namespace photosync::http {
namespace {

using namespace std::chrono_literals;

/// A TLS server context holding the certificate and key given as PEM.
SSL_CTX* serverContext(const std::string& certPem, const std::string& keyPem) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  BIO* cb = BIO_new_mem_buf(certPem.data(), static_cast<int>(certPem.size()));
  X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
  BIO_free(cb);
  BIO* kb = BIO_new_mem_buf(keyPem.data(), static_cast<int>(keyPem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
  BIO_free(kb);
  SSL_CTX_use_certificate(ctx, cert);
  SSL_CTX_use_PrivateKey(ctx, key);
  X509_free(cert);
  EVP_PKEY_free(key);
  return ctx;
}

/// A listening TCP socket on 127.0.0.1 and a port the kernel chose.
int listenOnLoopback(int* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(fd, 8);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

// Accepts TLS connections with the given certificate until stopped; counts handshakes that
// completed (there must be none: the client refuses the certificate).
class TlsServer {
 public:
  TlsServer(const std::string& certPem, const std::string& keyPem) {
    ctx_ = serverContext(certPem, keyPem);
    fd_ = listenOnLoopback(&port_);
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 20) <= 0) continue;
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) continue;
        SSL* ssl = SSL_new(ctx_);
        SSL_set_fd(ssl, c);
        if (SSL_accept(ssl) == 1) ++handshakes_;
        ERR_clear_error();
        SSL_free(ssl);
        ::close(c);
      }
    });
  }
  ~TlsServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
    SSL_CTX_free(ctx_);
  }
  int port() const { return port_; }
  int handshakes() const { return handshakes_.load(); }

 private:
  SSL_CTX* ctx_ = nullptr;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> handshakes_{0};
  std::thread thread_;
};

TEST(ClientTls, SelfSignedCertificateIsRefused) {
  const auto& keys = photosync::testing::keysA();
  TlsServer server(keys.certPem, keys.pkcs8);
  Client client;
  Request request;
  request.url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";
  request.timeout = 5000ms;
  auto r = client.send(request);
  ASSERT_FALSE(r.isOk()) << "a self-signed certificate must not be accepted";
  EXPECT_EQ(r.status().code(), hostapi::StatusCode::kUnavailable) << r.status().toString();
  EXPECT_NE(r.status().message().find("127.0.0.1:" + std::to_string(server.port())), std::string::npos)
      << r.status().message();
  EXPECT_EQ(server.handshakes(), 0);
}

// The connection to a checked address (an address policy on the request) keeps certificate
// validation on: the certificate must name the URL's host, whatever address was connected to.
TEST(ClientTls, SelfSignedCertificateIsRefusedOnACheckedAddress) {
  const auto& keys = photosync::testing::keysA();
  TlsServer server(keys.certPem, keys.pkcs8);
  Client client;
  Request request;
  request.url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";
  request.timeout = 5000ms;
  request.addressPolicy =
      std::make_shared<const AddressPolicy>(std::vector<AddressRange>{parseAddressRange("127.0.0.0/8").value()});
  auto r = client.send(request);
  ASSERT_FALSE(r.isOk()) << "a self-signed certificate must not be accepted";
  EXPECT_EQ(r.status().code(), hostapi::StatusCode::kUnavailable) << r.status().toString();
  EXPECT_NE(r.status().message().find("TLS handshake"), std::string::npos) << r.status().message();
  EXPECT_EQ(server.handshakes(), 0);
}

// A TLS server that answers one HTTP request per connection and records the SNI name it got.
class TlsHttpServer {
 public:
  TlsHttpServer(const std::string& certPem, const std::string& keyPem) : tls_(certPem, keyPem, this) {}
  int port() const { return tls_.port(); }
  std::string serverName() {
    std::lock_guard lock(mutex_);
    return serverName_;
  }
  int answered() const { return answered_.load(); }

 private:
  struct Inner {
    Inner(const std::string& certPem, const std::string& keyPem, TlsHttpServer* owner) : owner_(owner) {
      ctx_ = serverContext(certPem, keyPem);
      fd_ = listenOnLoopback(&port_);
      thread_ = std::thread([this] { loop(); });
    }
    ~Inner() {
      stop_ = true;
      thread_.join();
      ::close(fd_);
      SSL_CTX_free(ctx_);
    }
    int port() const { return port_; }
    void loop() {
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 20) <= 0) continue;
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) continue;
        SSL* ssl = SSL_new(ctx_);
        SSL_set_fd(ssl, c);
        if (SSL_accept(ssl) == 1) {
          if (const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) {
            std::lock_guard lock(owner_->mutex_);
            owner_->serverName_ = name;
          }
          std::string head;
          char buf[4096];
          while (head.find("\r\n\r\n") == std::string::npos) {
            const int n = SSL_read(ssl, buf, sizeof buf);
            if (n <= 0) break;
            head.append(buf, static_cast<std::size_t>(n));
          }
          const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
          if (SSL_write(ssl, answer.data(), static_cast<int>(answer.size())) > 0) ++owner_->answered_;
          SSL_shutdown(ssl);
        }
        ERR_clear_error();
        SSL_free(ssl);
        ::close(c);
      }
    }
    TlsHttpServer* owner_;
    SSL_CTX* ctx_ = nullptr;
    int fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
  };

  std::mutex mutex_;
  std::string serverName_;
  std::atomic<int> answered_{0};
  Inner tls_;
};

// With a trusted certificate (SSL_CERT_FILE names the test's own trust anchors): the connection
// goes to the checked address, and SNI and the certificate check use the URL's name, so a
// certificate for "localhost" passes and one for another name does not.
TEST(ClientTls, CheckedAddressKeepsTheUrlsNameForSniAndTheCertificate) {
  const auto good = photosync::testing::makeTestKeys("localhost");
  const auto other = photosync::testing::makeTestKeys("photos.other.test");
  char path[] = "/tmp/photosync-tls-anchors-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string anchors = good.certPem + other.certPem;
  ASSERT_EQ(::write(fd, anchors.data(), anchors.size()), static_cast<ssize_t>(anchors.size()));
  ::close(fd);
  ::setenv("SSL_CERT_FILE", path, 1);
  auto policy = std::make_shared<const AddressPolicy>(parseAddressRanges("127.0.0.0/8 ::1/128").value());
  Client client;
  {
    TlsHttpServer server(good.certPem, good.pkcs8);
    Request request;
    request.url = "https://localhost:" + std::to_string(server.port()) + "/p.jpg";
    request.timeout = 5000ms;
    request.addressPolicy = policy;
    auto r = client.send(request);
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    EXPECT_EQ(r.value().status, 200);
    EXPECT_EQ(r.value().body, "ok");
    EXPECT_EQ(server.serverName(), "localhost");
  }
  {
    TlsHttpServer server(other.certPem, other.pkcs8);
    Request request;
    request.url = "https://localhost:" + std::to_string(server.port()) + "/p.jpg";
    request.timeout = 5000ms;
    request.addressPolicy = policy;
    auto r = client.send(request);
    ASSERT_FALSE(r.isOk()) << "a trusted certificate for another name must not be accepted";
    EXPECT_NE(r.status().message().find("TLS handshake"), std::string::npos) << r.status().message();
    EXPECT_EQ(server.answered(), 0);
  }
  ::unsetenv("SSL_CERT_FILE");
  ::unlink(path);
}

}  // namespace
}  // namespace photosync::http
