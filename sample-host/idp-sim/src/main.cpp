// idp-sim: a Microsoft Graph / Entra ID, Google Directory and SCIM photo-host simulator with
// fault injection, for PhotoSync's tests, demo and benchmark. Serves 127.0.0.1 only.
// See docs/idp-sim.md for every flag and the /_admin API.
#include "http_server.h"
#include "provision.h"
#include "sim.h"

#include <sched.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

namespace {

void usage() {
  std::cout <<
      "usage: idp-sim [options]\n"
      "       idp-sim provision --sim URL --target URL --token T [...]   (see idp-sim provision --help)\n"
      "       idp-sim photo-timing [N]    render + encode N JPEGs per Graph size (default 200), print CPU time\n"
      "options:\n"
      "  --port P                 listen on 127.0.0.1:P (default 0 = any free port)\n"
      "  --threads N              io_context threads (default 1)\n"
      "  --users N                number of users (default 1000)\n"
      "  --seed S                 data seed (default 1)\n"
      "  --no-photo-share F       share of users without a photo (default 0.2)\n"
      "  --no-mail-share F        share of users whose Graph mail is null, no mailbox (default 0)\n"
      "  --png-share F            share of photos uploaded as PNG (default 0.1)\n"
      "  --photo-size N           stored photo size for everyone (48..648, default: mixed)\n"
      "  --domain D               mail domain (default contoso.example)\n"
      "  --cache-mb N             bound of the encoded-photo cache (default 64)\n"
      "  --pregenerate WHAT       render every photo at start on background threads and keep them all in\n"
      "                           memory: graph (JPEG at the stored size, what Graph serves) or all (also\n"
      "                           the photo host's/Google's own format and <= 96 px); progress in\n"
      "                           GET /_admin/health, a line on stdout when done\n"
      "  --pregenerate-threads N  threads for --pregenerate (default: the CPUs idp-sim may run on)\n"
      "  --photo-store DIR        with --pregenerate: keep the rendered photos in a file in DIR (one per data\n"
      "                           set) and map it on later starts with the same data set instead of rendering\n"
      "  --fixtures DIR           fixture mode: photos are the files in DIR, named <index>.<ext> or <upn>.<ext>\n"
      "  --fixture-content-type T force this Content-Type for fixture files\n"
      "  --fault-seed N           seed of the fault draws (default 1)\n"
      "  --faults JSON|@FILE      fault configuration (same as POST /_admin/faults)\n"
      "  --config JSON|@FILE      runtime configuration (same as POST /_admin/config)\n"
      "  --latency-ms N           shorthand: fixed latency for every endpoint class\n"
      "  --jitter-ms N            shorthand: uniform extra latency 0..N ms\n"
      "  --token-lifetime S       access token lifetime in seconds (default 3599)\n"
      "  --credentials FILE       load the app credentials from FILE (JSON of GET /_admin/credentials);\n"
      "                           when FILE does not exist, write the generated ones there (mode 0600)\n";
}

std::string jsonArg(const std::string& v) {
  if (!v.empty() && v[0] == '@') {
    std::ifstream in(v.substr(1));
    if (!in) throw std::invalid_argument("cannot read " + v.substr(1));
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  return v;
}

// `idp-sim photo-timing [N]`: what one uncached photo costs, per Graph size, in this thread's CPU
// time (independent of what else runs on the machine). Same renderer as the server.
int photoTiming(int argc, char** argv) {
  int count = argc > 2 ? std::max(1, std::atoi(argv[2])) : 200;
  auto cpu = [] {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
  };
  std::printf("size  photos  CPU us/photo  mean bytes\n");
  for (int size : idpsim::graphSizes()) {
    std::size_t bytes = 0;
    double t0 = cpu();
    for (int i = 0; i < count; ++i)
      bytes += idpsim::renderPhoto(idpsim::mix64(static_cast<std::uint64_t>(i) * 7919 + static_cast<std::uint64_t>(size)), size,
                                   idpsim::ImageFormat::Jpeg, "AB").size();
    double us = (cpu() - t0) * 1e6 / count;
    std::printf("%4d  %6d  %12.0f  %10zu\n", size, count, us, bytes / static_cast<std::size_t>(count));
  }
  return 0;
}

// CPUs in this process's affinity mask (taskset), which hardware_concurrency() ignores.
unsigned allowedCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return static_cast<unsigned>(std::max(1, CPU_COUNT(&set)));
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "provision") return idpsim::runProvision(argc, argv);
  if (argc > 1 && std::string(argv[1]) == "photo-timing") return photoTiming(argc, argv);
  idpsim::SimOptions opts;
  int port = 0, threads = 1, pregenThreads = 0;
  std::string faults, config;
  double latency = -1, jitter = 0;
  int tokenLifetime = -1;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string k = argv[i];
      auto next = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument("missing value for " + k);
        return argv[++i];
      };
      if (k == "--help" || k == "-h") { usage(); return 0; }
      else if (k == "--port") port = std::stoi(next());
      else if (k == "--threads") threads = std::max(1, std::stoi(next()));
      else if (k == "--users") opts.directory.users = static_cast<std::uint32_t>(std::stoul(next()));
      else if (k == "--seed") opts.directory.seed = std::stoull(next());
      else if (k == "--no-photo-share") opts.directory.noPhotoShare = std::stod(next());
      else if (k == "--no-mail-share") opts.directory.noMailShare = std::stod(next());
      else if (k == "--png-share") opts.directory.pngShare = std::stod(next());
      else if (k == "--photo-size") opts.directory.photoSize = std::stoi(next());
      else if (k == "--domain") opts.directory.domain = next();
      else if (k == "--cache-mb") opts.directory.cacheBytes = std::stoull(next()) << 20;
      else if (k == "--pregenerate") opts.directory.pregenerate = next();
      else if (k == "--photo-store") opts.directory.photoStoreDir = next();
      else if (k == "--pregenerate-threads") pregenThreads = std::max(1, std::stoi(next()));
      else if (k == "--fixtures") opts.directory.fixturesDir = next();
      else if (k == "--fixture-content-type") opts.directory.fixtureContentType = next();
      else if (k == "--fault-seed") opts.faultSeed = std::stoull(next());
      else if (k == "--faults") faults = jsonArg(next());
      else if (k == "--config") config = jsonArg(next());
      else if (k == "--latency-ms") latency = std::stod(next());
      else if (k == "--jitter-ms") jitter = std::stod(next());
      else if (k == "--token-lifetime") tokenLifetime = std::stoi(next());
      else if (k == "--credentials") opts.credentialsFile = next();
      else throw std::invalid_argument("unknown option " + k + " (see --help)");
    }
    if (port < 0 || port > 65535) throw std::invalid_argument("--port must be 0..65535");
    if (opts.directory.users == 0 || opts.directory.users > 16000000) throw std::invalid_argument("--users must be 1..16000000");
    if (!opts.directory.pregenerate.empty() && opts.directory.pregenerate != "graph" && opts.directory.pregenerate != "all")
      throw std::invalid_argument("--pregenerate must be graph or all");
    if (!opts.directory.photoStoreDir.empty() && opts.directory.pregenerate.empty())
      throw std::invalid_argument("--photo-store needs --pregenerate");
  } catch (const std::exception& e) {
    std::cerr << "idp-sim: " << e.what() << "\n";
    return 2;
  }
  std::unique_ptr<idpsim::Sim> simPtr;
  try {
    simPtr = std::make_unique<idpsim::Sim>(opts);
  } catch (const std::exception& e) {
    std::cerr << "idp-sim: cannot load --credentials " << opts.credentialsFile << ": " << e.what() << "\n";
    return 2;
  }
  idpsim::Sim& sim = *simPtr;
  try {
    if (!faults.empty()) {
      std::string e = sim.setFaults(web::json::value::parse(faults));
      if (!e.empty()) throw std::invalid_argument("--faults: " + e);
    } else if (latency >= 0 || jitter > 0) {
      web::json::value f = web::json::value::object();
      f["*"] = web::json::value::object();
      f["*"]["latencyMs"] = web::json::value::number(std::max(0.0, latency));
      f["*"]["jitterMs"] = web::json::value::number(jitter);
      sim.setFaults(f);
    }
    if (!config.empty()) {
      std::string e = sim.applyConfig(web::json::value::parse(config));
      if (!e.empty()) throw std::invalid_argument("--config: " + e);
    }
    if (tokenLifetime >= 0) {
      web::json::value c = web::json::value::object();
      c["tokenLifetimeSeconds"] = web::json::value::number(tokenLifetime);
      sim.applyConfig(c);
    }
  } catch (const std::exception& e) {
    std::cerr << "idp-sim: " << e.what() << "\n";
    return 2;
  }
  int rc = idpsim::runServer(sim, static_cast<std::uint16_t>(port), threads, [&](std::uint16_t bound) {
    std::string url = "http://127.0.0.1:" + std::to_string(bound);
    sim.setBaseUrl(url);
    if (!opts.credentialsFile.empty() && !std::filesystem::exists(opts.credentialsFile)) {
      std::ofstream out(opts.credentialsFile);
      std::filesystem::permissions(opts.credentialsFile, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
      out << sim.credentialsJson().serialize();
    }
    std::cout << "idp-sim listening on " << url << std::endl;
    auto c = sim.credentialsJson();
    std::cout << "tenant " << c["entra"]["tenantId"].as_string() << " client " << c["entra"]["clientId"].as_string()
              << " users " << sim.directory().size() << " (credentials: GET " << url << "/_admin/credentials)"
              << std::endl;
    if (!opts.directory.pregenerate.empty()) {
      unsigned n = pregenThreads > 0 ? static_cast<unsigned>(pregenThreads) : allowedCpus();
      sim.directory().startPregeneration(n, [](const idpsim::PregenStatus& s) {
        std::ostringstream line;
        line << "idp-sim pregenerated " << s.done << " photos (" << (s.bytes >> 20) << " MB, " << s.what << ") in "
             << s.seconds << " s (" << s.cpuSeconds << " s CPU)";
        if (s.fromStore) line << ", mapped from " << s.storeFile;
        else line << " on " << s.threads << " thread(s)" << (s.storeFile.empty() || !s.storeError.empty() ? "" : ", saved to " + s.storeFile);
        if (!s.storeError.empty()) line << " (photo store: " << s.storeError << ")";
        line << "\n";
        std::cout << line.str() << std::flush;
      });
    }
  });
  std::cout << sim.counters().toText() << std::flush;
  return rc;
}
