// The naive anchor of the benchmark: what a scheduled script does today. It takes an app-only
// token, lists every user, then fetches every user's photo with one sequential
// `GET /v1.0/users/{id}/photo/$value` — no batching, no concurrency, no change detection, every
// photo downloaded on every run. It talks plain HTTP/1.1 over one keep-alive socket (the
// cheapest a script can do), to 127.0.0.1 only.
//
//   photosync_naive_client --url http://127.0.0.1:PORT --tenant T --client-id C  < secret
//
// The client secret is read from the first line of stdin (never from the command line). Prints
// one JSON line: users, requests, photos, noPhoto, errors, bytes, the photo sizes (min, max, how
// many under 5 KB and over 40 KB), wall_s.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cpprest/json.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct HttpAnswer {
  int status = 0;
  std::string body;
};

/// One keep-alive HTTP/1.1 connection to 127.0.0.1:port; reconnects when the server closed it.
class Connection {
 public:
  explicit Connection(int port) : port_(port) {}
  ~Connection() { closeSocket(); }

  HttpAnswer request(const std::string& method, const std::string& target, const std::string& headers,
                     const std::string& body = {}) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (fd_ < 0) open();
      std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) +
                        "\r\nConnection: keep-alive\r\n" + headers;
      if (!body.empty() || method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
      req += "\r\n" + body;
      if (!sendAll(req)) {
        closeSocket();
        continue;
      }
      HttpAnswer a;
      bool keepAlive = true;
      if (!readAnswer(a, keepAlive)) {
        closeSocket();
        if (attempt == 0 && buffer_.empty()) continue;  // the server closed an idle connection
        throw std::runtime_error("connection lost while reading " + target);
      }
      if (!keepAlive) closeSocket();
      return a;
    }
    throw std::runtime_error("cannot send " + target);
  }

 private:
  void open() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port_));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port_));
    buffer_.clear();
  }
  void closeSocket() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buffer_.clear();
  }
  bool sendAll(const std::string& s) {
    std::size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<std::size_t>(n);
    }
    return true;
  }
  bool fill() {
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<std::size_t>(n));
    return true;
  }
  static std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  bool readAnswer(HttpAnswer& a, bool& keepAlive) {
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return false;
    const std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    if (head.size() < 12 || head.compare(0, 5, "HTTP/") != 0) throw std::runtime_error("not an HTTP answer");
    a.status = std::atoi(head.c_str() + 9);
    std::size_t length = 0;
    std::size_t pos = head.find("\r\n");
    while (pos != std::string::npos && pos < head.size()) {
      std::size_t next = head.find("\r\n", pos + 2);
      std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = lower(line.substr(0, colon));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        if (name == "content-length") length = std::strtoull(value.c_str(), nullptr, 10);
        if (name == "connection" && lower(value) == "close") keepAlive = false;
        if (name == "transfer-encoding") throw std::runtime_error("chunked answers are not supported");
      }
      pos = next;
    }
    while (buffer_.size() < length)
      if (!fill()) return false;
    a.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return true;
  }

  int port_;
  int fd_ = -1;
  std::string buffer_;
};

std::string formEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

int usage() {
  std::cerr << "usage: photosync_naive_client --url http://127.0.0.1:PORT --tenant T --client-id C < secret\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string url, tenant, clientId;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (i + 1 >= argc) return usage();
    if (k == "--url") url = argv[++i];
    else if (k == "--tenant") tenant = argv[++i];
    else if (k == "--client-id") clientId = argv[++i];
    else return usage();
  }
  const std::string prefix = "http://127.0.0.1:";
  if (url.rfind(prefix, 0) != 0 || tenant.empty() || clientId.empty()) return usage();
  const int port = std::atoi(url.c_str() + prefix.size());
  std::string secret;
  std::getline(std::cin, secret);
  if (secret.empty()) return usage();

  try {
    const auto t0 = std::chrono::steady_clock::now();
    Connection c(port);
    std::uint64_t requests = 0, photos = 0, noPhoto = 0, errors = 0, bytes = 0;
    std::uint64_t minBytes = 0, maxBytes = 0, under5k = 0, over40k = 0;  // photo sizes (KB = 1000 bytes)

    ++requests;
    HttpAnswer tok = c.request("POST", "/" + tenant + "/oauth2/v2.0/token",
                               "Content-Type: application/x-www-form-urlencoded\r\n",
                               "grant_type=client_credentials&client_id=" + formEncode(clientId) +
                                   "&client_secret=" + formEncode(secret) +
                                   "&scope=" + formEncode("https://graph.microsoft.com/.default"));
    secret.assign(secret.size(), '\0');
    if (tok.status != 200) throw std::runtime_error("token request answered " + std::to_string(tok.status));
    const std::string auth =
        "Authorization: Bearer " + web::json::value::parse(tok.body).at("access_token").as_string() + "\r\n";

    std::vector<std::string> ids;
    std::string next = "/v1.0/users?$select=id&$top=999";
    while (!next.empty()) {
      ++requests;
      HttpAnswer page = c.request("GET", next, auth + "Accept: application/json\r\n");
      if (page.status != 200) throw std::runtime_error("users list answered " + std::to_string(page.status));
      auto j = web::json::value::parse(page.body);
      for (const auto& u : j.at("value").as_array()) ids.push_back(u.at("id").as_string());
      next.clear();
      if (j.has_field("@odata.nextLink")) {
        std::string link = j.at("@odata.nextLink").as_string();
        auto p = link.find('/', link.find("//") + 2);
        next = link.substr(p);
      }
    }

    for (const auto& id : ids) {
      ++requests;
      HttpAnswer a = c.request("GET", "/v1.0/users/" + id + "/photo/$value", auth);
      if (a.status == 200) {
        ++photos;
        bytes += a.body.size();
        const std::uint64_t sz = a.body.size();
        minBytes = photos == 1 ? sz : std::min(minBytes, sz);
        maxBytes = std::max(maxBytes, sz);
        if (sz < 5000) ++under5k;
        if (sz > 40000) ++over40k;
      } else if (a.status == 404) {
        ++noPhoto;
      } else {
        ++errors;
      }
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf(
        "{\"users\":%zu,\"requests\":%llu,\"photos\":%llu,\"noPhoto\":%llu,\"errors\":%llu,\"bytes\":%llu,"
        "\"minBytes\":%llu,\"maxBytes\":%llu,\"under5k\":%llu,\"over40k\":%llu,\"wall_s\":%.3f}\n",
        ids.size(), static_cast<unsigned long long>(requests), static_cast<unsigned long long>(photos),
        static_cast<unsigned long long>(noPhoto), static_cast<unsigned long long>(errors),
        static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(minBytes),
        static_cast<unsigned long long>(maxBytes), static_cast<unsigned long long>(under5k),
        static_cast<unsigned long long>(over40k), wall);
    return errors == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "naive client: " << e.what() << "\n";
    return 1;
  }
}
