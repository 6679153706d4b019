// Certificate validation stays on: a TLS server with a self-signed certificate is refused.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <gtest/gtest.h>

#include "photosync/http/address_policy.h"
#include "photosync/http/client.h"
#include "test_keys.h"
#include "test_servers.h"

namespace photosync::http {
namespace {

using namespace std::chrono_literals;

// Accepts TLS connections with the given certificate until stopped; counts handshakes that
// completed (there must be none: the client refuses the certificate).
class TlsServer {
 public:
  TlsServer(const std::string& certPem, const std::string& keyPem) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    BIO* cb = BIO_new_mem_buf(certPem.data(), static_cast<int>(certPem.size()));
    X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
    BIO_free(cb);
    BIO* kb = BIO_new_mem_buf(keyPem.data(), static_cast<int>(keyPem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
    BIO_free(kb);
    SSL_CTX_use_certificate(ctx_, cert);
    SSL_CTX_use_PrivateKey(ctx_, key);
    X509_free(cert);
    EVP_PKEY_free(key);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 8);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
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

}  // namespace
}  // namespace photosync::http
