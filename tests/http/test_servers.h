// Local servers for the http and auth tests, bound to 127.0.0.1 only.
// - RawServer: a tiny socket server (port 0, chosen by the OS) whose handler writes raw bytes, for
//   what a real server library will not do on purpose: resets, truncated bodies, stalls.
// - LocalListener: a real cpprestsdk http_listener on a free port (the listener cannot report an
//   OS-chosen port, so a few random ephemeral ports are tried).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <cpprest/http_listener.h>

namespace photosync::testing {

struct RawRequest {
  std::string method;
  std::string target;
  std::string head;  // request line and headers
  std::string body;
};

inline bool writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

/// A complete HTTP/1.1 response with Content-Length.
inline std::string rawResponse(int status, const std::string& body,
                               const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " X\r\n";
  for (const auto& [k, v] : headers) out += k + ": " + v + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return out;
}

/// Closes with RST instead of FIN.
inline void resetConnection(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

class RawServer {
 public:
  /// Returns true to keep the connection open for another request.
  using Handler = std::function<bool(int fd, const RawRequest& request)>;

  /// Listens on 127.0.0.1 (or `ipv4Address`, another address of lo), or on [::1] when `ipv6`.
  explicit RawServer(Handler handler, bool ipv6 = false, const std::string& ipv4Address = "127.0.0.1")
      : handler_(std::move(handler)), ipv6_(ipv6), address_(ipv4Address) {
    listenFd_ = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    if (listenFd_ < 0) throw std::runtime_error("socket failed");
    int one = 1;
    ::setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ipv6) {
      sockaddr_in6 addr{};
      addr.sin6_family = AF_INET6;
      addr.sin6_addr = in6addr_loopback;
      if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listenFd_, 64) != 0)
        throw std::runtime_error("bind/listen on [::1] failed");
      socklen_t len = sizeof addr;
      ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&addr), &len);
      port_ = ntohs(addr.sin6_port);
    } else {
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      if (::inet_pton(AF_INET, ipv4Address.c_str(), &addr.sin_addr) != 1) throw std::runtime_error("bad address");
      addr.sin_port = 0;
      if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listenFd_, 64) != 0)
        throw std::runtime_error("bind/listen failed");
      socklen_t len = sizeof addr;
      ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&addr), &len);
      port_ = ntohs(addr.sin_port);
    }
    acceptor_ = std::thread([this] { acceptLoop(); });
  }

  ~RawServer() {
    stop_ = true;
    acceptor_.join();
    std::lock_guard lock(mutex_);
    for (auto& t : workers_) t.join();
    ::close(listenFd_);
  }

  int port() const { return port_; }
  std::string url(const std::string& path = "/") const {
    return (ipv6_ ? std::string("http://[::1]:") : "http://" + address_ + ":") + std::to_string(port_) + path;
  }
  int requests() const { return requests_.load(); }
  int connections() const { return connections_.load(); }
  bool stopping() const { return stop_.load(); }
  /// For handlers that stall: sleeps until the server stops or `limit` passes.
  void stall(std::chrono::milliseconds limit) const {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!stop_ && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

 private:
  void acceptLoop() {
    while (!stop_) {
      pollfd p{listenFd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int fd = ::accept(listenFd_, nullptr, nullptr);
      if (fd < 0) continue;
      ++connections_;
      std::lock_guard lock(mutex_);
      workers_.emplace_back([this, fd] { serve(fd); });
    }
  }

  // Reads one request (head + Content-Length body); false on EOF/error/stop.
  bool readRequest(int fd, std::string& buffer, RawRequest& req) {
    for (;;) {
      const auto end = buffer.find("\r\n\r\n");
      if (end != std::string::npos) {
        req.head = buffer.substr(0, end);
        std::size_t length = 0;
        std::string lowerHead;
        for (char c : req.head) lowerHead.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        if (auto pos = lowerHead.find("\r\ncontent-length:"); pos != std::string::npos)
          length = std::stoul(req.head.substr(pos + 17));
        if (buffer.size() >= end + 4 + length) {
          req.body = buffer.substr(end + 4, length);
          buffer.erase(0, end + 4 + length);
          const auto sp1 = req.head.find(' ');
          const auto sp2 = req.head.find(' ', sp1 + 1);
          req.method = req.head.substr(0, sp1);
          req.target = req.head.substr(sp1 + 1, sp2 - sp1 - 1);
          return true;
        }
      }
      pollfd p{fd, POLLIN, 0};
      if (stop_) return false;
      if (::poll(&p, 1, 20) <= 0) continue;
      char chunk[16384];
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
  }

  void serve(int fd) {
    std::string buffer;
    RawRequest req;
    while (readRequest(fd, buffer, req)) {
      ++requests_;
      if (!handler_(fd, req)) break;
    }
    ::close(fd);
  }

  Handler handler_;
  bool ipv6_ = false;
  std::string address_;
  int listenFd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::atomic<int> connections_{0};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> workers_;
};

/// A port that was free a moment ago and now refuses connections.
inline int closedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

/// Replies to a cpprest request without blocking and observes the reply task.
inline void replyAsync(web::http::http_request request, web::http::http_response response) {
  request.reply(response).then([](pplx::task<void> t) {
    try {
      t.get();
    } catch (...) {
    }
  });
}

/// A real cpprestsdk listener on 127.0.0.1. The handler must not block.
class LocalListener {
 public:
  using Handler = std::function<void(web::http::http_request)>;

  explicit LocalListener(Handler handler) {
    std::mt19937 rng{std::random_device{}()};
    std::uniform_int_distribution<int> pick(20000, 59999);
    for (int tries = 0; tries < 30; ++tries) {
      const int port = pick(rng);
      auto listener = std::make_unique<web::http::experimental::listener::http_listener>(
          web::uri("http://127.0.0.1:" + std::to_string(port)));
      listener->support(handler);
      try {
        listener->open().wait();
        listener_ = std::move(listener);
        port_ = port;
        return;
      } catch (...) {
      }
    }
    throw std::runtime_error("no free port for the test listener");
  }
  ~LocalListener() {
    try {
      listener_->close().wait();
    } catch (...) {
    }
  }
  int port() const { return port_; }
  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  std::unique_ptr<web::http::experimental::listener::http_listener> listener_;
  int port_ = 0;
};

}  // namespace photosync::testing
