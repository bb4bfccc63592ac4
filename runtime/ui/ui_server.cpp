#include "runtime/ui/ui_server.hpp"

#include <chrono>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "runtime/base/errors.hpp"
#include "runtime/ui/rest_api.hpp"
#include "runtime/ui/streaming_metrics.hpp"
#include "runtime/ui/streaming_page.hpp"
#include "runtime/ui/streaming_status.hpp"

namespace rill {

namespace {
// Debian's libjs-chart.js (Chart.js 3.9): served by the engine itself.
const char* kChartJsPath = "/usr/share/javascript/chart.js/chart.min.js";
constexpr int kPortRetries = 16;  // Spark's spark.port.maxRetries

std::string read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void json_or_404(httplib::Response& res, const std::optional<std::string>& body, const std::string& what) {
  if (body) {
    res.set_content(*body, "application/json");
  } else {
    res.status = 404;
    res.set_content(what + " not found", "text/plain");
  }
}
}  // namespace

struct UiServer::Impl {
  std::shared_ptr<StreamingStatus> status;
  std::shared_ptr<StreamingMetrics> metrics;
  std::string address;
  int port = 0;
  std::string chart_js = read_file(kChartJsPath);
  httplib::Server server;
  std::thread thread;

  // The app id in a path must be this application's.
  bool known_app(const httplib::Request& req, httplib::Response& res) {
    if (req.matches[1] == status->app_id()) return true;
    res.status = 404;
    res.set_content("no such application: " + std::string(req.matches[1]), "text/plain");
    return false;
  }

  void routes() {
    auto& s = server;
    s.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/streaming/"); });
    s.Get("/streaming", [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/streaming/"); });
    s.Get("/streaming/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(streaming_page_html(), "text/html; charset=utf-8");
    });
    s.Get("/streaming/batch/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(batch_page_html(), "text/html; charset=utf-8");
    });
    s.Get("/static/chart.min.js", [this](const httplib::Request&, httplib::Response& res) {
      if (chart_js.empty()) {
        res.status = 404;
        res.set_content(std::string("Chart.js is not installed (") + kChartJsPath + ": install libjs-chart.js)",
                        "text/plain");
        return;
      }
      res.set_header("Cache-Control", "max-age=3600");
      res.set_content(chart_js, "application/javascript");
    });
    s.Get("/favicon.ico", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
    s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics->text(), "text/plain; version=0.0.4; charset=utf-8");
    });
    s.Get("/api/v1/applications", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(rest::applications(status->snapshot()), "application/json");
    });
    const std::string app = "/api/v1/applications/([^/]+)/streaming";
    s.Get(app + "/statistics", [this](const httplib::Request& req, httplib::Response& res) {
      if (known_app(req, res)) res.set_content(rest::statistics(status->snapshot()), "application/json");
    });
    s.Get(app + "/receivers", [this](const httplib::Request& req, httplib::Response& res) {
      if (known_app(req, res)) res.set_content(rest::receivers(status->snapshot()), "application/json");
    });
    s.Get(app + "/receivers/(-?\\d+)", [this](const httplib::Request& req, httplib::Response& res) {
      if (known_app(req, res))
        json_or_404(res, rest::receiver(status->snapshot(), std::stoi(req.matches[2])), "receiver");
    });
    s.Get(app + "/batches", [this](const httplib::Request& req, httplib::Response& res) {
      if (known_app(req, res))
        res.set_content(rest::batches(status->snapshot(), req.get_param_value("status")), "application/json");
    });
    s.Get(app + "/batches/(\\d+)", [this](const httplib::Request& req, httplib::Response& res) {
      if (known_app(req, res)) json_or_404(res, rest::batch(status->snapshot(), std::stoll(req.matches[2])), "batch");
    });
    s.Get(app + "/batches/(\\d+)/operations", [this](const httplib::Request& req, httplib::Response& res) {
      if (known_app(req, res))
        json_or_404(res, rest::operations(status->snapshot(), std::stoll(req.matches[2])), "batch");
    });
    s.Get(app + "/batches/(\\d+)/operations/(\\d+)", [this](const httplib::Request& req, httplib::Response& res) {
      if (known_app(req, res))
        json_or_404(res,
                    rest::operation(status->snapshot(), std::stoll(req.matches[2]), std::stoi(req.matches[3])),
                    "output operation");
    });
  }
};

UiServer::UiServer(std::shared_ptr<StreamingStatus> status, std::shared_ptr<StreamingMetrics> metrics,
                   const std::string& bind_address, int port)
    : impl_(std::make_unique<Impl>()) {
  impl_->status = std::move(status);
  impl_->metrics = std::move(metrics);
  impl_->address = bind_address;
  if (impl_->chart_js.empty())
    spdlog::warn("Chart.js not found at {} (package libjs-chart.js): the Streaming page will have no charts",
                 kChartJsPath);
  impl_->routes();
  // httplib also sets SO_REUSEPORT by default, which would let two
  // applications share port 4040 (the kernel splitting connections between
  // them) instead of the second moving to 4041: reuse addresses only.
  impl_->server.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  if (port == 0) {
    impl_->port = impl_->server.bind_to_any_port(bind_address);
  } else {
    for (int p = port; p < port + kPortRetries && p <= 65535; ++p) {
      if (impl_->server.bind_to_port(bind_address.c_str(), p)) {
        impl_->port = p;
        break;
      }
      spdlog::warn("the web UI could not bind {}:{}; trying port {}", bind_address, p, p + 1);
    }
  }
  if (impl_->port <= 0)
    throw RillError("the web UI could not bind " + bind_address + " on ports " + std::to_string(port) + " to " +
                    std::to_string(port + kPortRetries - 1) +
                    " (set rill.ui.port, or rill.ui.enabled=false to run without it)");
  impl_->thread = std::thread([impl = impl_.get()] { impl->server.listen_after_bind(); });
  // httplib's stop() interrupts only a server whose accept loop has begun
  // (is_running() is set as it begins); a context stopped right after it
  // started would otherwise leave the thread in accept() and the destructor
  // waiting for it. So wait for the loop, briefly.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!impl_->server.is_running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  spdlog::info("Streaming UI at {}/streaming/ (REST API under /api/v1, metrics on /metrics)", url());
}

UiServer::~UiServer() {
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int UiServer::port() const { return impl_->port; }

std::string UiServer::url() const { return "http://" + impl_->address + ":" + std::to_string(impl_->port); }

}  // namespace rill
