// The engine's web UI: the Streaming page, a batch page, Spark's streaming
// REST API (runtime/ui/rest_api.hpp) and Prometheus metrics on /metrics,
// served by cpp-httplib on a thread of its own. It reads only
// StreamingStatus snapshots, so it never slows a batch.
//
// Port: rill.ui.port (4040); when taken, the next ones are tried, up to 16,
// as Spark does, and the one used is logged. Bound to rill.ui.bindAddress
// (127.0.0.1). rill.ui.enabled=false turns it off.
#pragma once
#include <memory>
#include <string>

namespace rill {

class StreamingStatus;
class StreamingMetrics;

class UiServer {
 public:
  // Binds and starts serving; throws RillError naming the address and ports
  // when none of them can be bound. port 0: any free port.
  UiServer(std::shared_ptr<StreamingStatus> status, std::shared_ptr<StreamingMetrics> metrics,
           const std::string& bind_address, int port);
  // Stops serving and joins the server thread.
  ~UiServer();
  UiServer(const UiServer&) = delete;
  UiServer& operator=(const UiServer&) = delete;

  int port() const;
  // http://address:port
  std::string url() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rill
