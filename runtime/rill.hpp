// Rill: Spark Streaming's DStream model in C++17 on the C++ Actor Framework.
// This umbrella header brings in the whole public API (listed in docs/api.md).
#pragma once
#include "operators/dstream/file_input_dstream.hpp"
#include "operators/dstream/queue_input_dstream.hpp"
#include "operators/rdd/rdd.hpp"
#include "receivers/committed_file_receiver.hpp"
#include "receivers/line_generator.hpp"
#include "receivers/receiver.hpp"
#include "receivers/socket_receiver.hpp"
#include "runtime/base/block_store.hpp"
#include "runtime/base/config.hpp"
#include "runtime/base/errors.hpp"
#include "runtime/base/listener.hpp"
#include "runtime/base/text.hpp"
#include "runtime/base/time.hpp"
#include "runtime/dstream.hpp"
#include "runtime/streaming_context.hpp"
#include "runtime/testing.hpp"
