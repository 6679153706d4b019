#include "http_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <iostream>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace idpsim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 424: return "Failed Dependency";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
  }
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Sim& sim) : socket_(std::move(socket)), timer_(socket_.get_executor()), sim_(sim) {}

  void start() {
    sim_.counters().connection();
    read();
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(16u << 20);
    http::async_read(socket_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
  }

  void onRead(beast::error_code ec) {
    if (ec) {
      close();
      return;
    }
    auto& req = parser_->get();
    Request r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    for (const auto& f : req) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = std::string(f.value());
    }
    r.body = std::move(req.body());
    keepAlive_ = req.keep_alive();
    head_ = r.method == "HEAD";
    parseTarget(r);
    try {
      resp_ = sim_.handle(r);
    } catch (const std::exception& e) {
      resp_ = jsonResponse(500, graphErrorBody("InternalServerError", std::string("idp-sim: ") + e.what(), "0"));
    }
    if (resp_.closeAfter) keepAlive_ = false;
    if (resp_.delay.count() > 0) {
      timer_.expires_after(resp_.delay);
      timer_.async_wait([self = shared_from_this()](beast::error_code) { self->respond(); });
    } else {
      respond();
    }
  }

  void respond() {
    if (resp_.transport == Transport::Reset) {
      beast::error_code ec;
      socket_.set_option(asio::socket_base::linger(true, 0), ec);
      socket_.close(ec);
      resp_ = Response{};
      return;
    }
    std::string head = "HTTP/1.1 " + std::to_string(resp_.status) + " " + reason(resp_.status) + "\r\n";
    for (const auto& [k, v] : resp_.headers) head += k + ": " + v + "\r\n";
    bool noBody = resp_.status == 304 || resp_.status == 204;
    if (!noBody) head += "Content-Length: " + std::to_string(resp_.body.size()) + "\r\n";
    if (resp_.transport == Transport::Truncate) keepAlive_ = false;
    head += keepAlive_ ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
    head += "\r\n";
    std::string body = (head_ || noBody) ? std::string() : std::move(resp_.body);
    if (resp_.transport == Transport::Truncate) body.resize(body.size() / 2);
    if (resp_.transport == Transport::SlowBody && !body.empty()) {
      out_ = std::move(head);
      pending_ = std::move(body);
      pendingPos_ = 0;
      writeOut(true);
      return;
    }
    out_ = std::move(head);
    out_ += body;
    writeOut(false);
  }

  void writeOut(bool slow) {
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this(), slow](beast::error_code ec, std::size_t n) {
                        self->sim_.counters().bytes(n);
                        if (ec) {
                          self->close();
                          return;
                        }
                        if (slow && self->pendingPos_ < self->pending_.size()) {
                          self->trickle();
                          return;
                        }
                        self->finished();
                      });
  }

  void trickle() {
    timer_.expires_after(std::chrono::milliseconds(resp_.slowChunkIntervalMs));
    timer_.async_wait([self = shared_from_this()](beast::error_code) {
      std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(self->resp_.slowChunkBytes),
                                            self->pending_.size() - self->pendingPos_);
      self->out_ = self->pending_.substr(self->pendingPos_, n);
      self->pendingPos_ += n;
      self->writeOut(true);
    });
  }

  void finished() {
    bool truncated = resp_.transport == Transport::Truncate;
    resp_ = Response{};  // releases concurrency holds
    pending_.clear();
    if (!keepAlive_ || truncated) {
      beast::error_code ec;
      socket_.shutdown(tcp::socket::shutdown_send, ec);
      socket_.close(ec);
      return;
    }
    read();
  }

  void close() {
    beast::error_code ec;
    socket_.close(ec);
    resp_ = Response{};
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Sim& sim_;
  Response resp_;
  std::string out_, pending_;
  std::size_t pendingPos_ = 0;
  bool keepAlive_ = true;
  bool head_ = false;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& io, tcp::endpoint ep, Sim& sim) : acceptor_(io), sim_(sim) {
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(asio::socket_base::max_listen_connections);
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  void accept() {
    acceptor_.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
      if (!ec) {
        socket.set_option(tcp::no_delay(true), ec);
        std::make_shared<Session>(std::move(socket), self->sim_)->start();
      }
      if (self->acceptor_.is_open()) self->accept();
    });
  }
  void stop() {
    beast::error_code ec;
    acceptor_.close(ec);
  }

 private:
  tcp::acceptor acceptor_;
  Sim& sim_;
};

}  // namespace

int runServer(Sim& sim, std::uint16_t port, int threads, const std::function<void(std::uint16_t)>& onListening) {
  asio::io_context io(threads);
  std::shared_ptr<Listener> listener;
  try {
    listener = std::make_shared<Listener>(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), sim);
  } catch (const std::exception& e) {
    std::cerr << "idp-sim: cannot listen on 127.0.0.1:" << port << ": " << e.what() << "\n";
    return 2;
  }
  listener->accept();
  onListening(listener->port());
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) {
    listener->stop();
    io.stop();
  });
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
  return 0;
}

}  // namespace idpsim
