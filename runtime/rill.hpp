// Rill: Spark Streaming's DStream model in C++17 on the C++ Actor Framework.
// This umbrella header brings in the whole public API (see API.md).
#pragma once
#include "receivers/committed_file_receiver.hpp"
#include "receivers/file_input_dstream.hpp"
#include "receivers/line_generator.hpp"
#include "receivers/queue_input_dstream.hpp"
#include "receivers/receiver.hpp"
#include "receivers/socket_receiver.hpp"
#include "runtime/base/block_store.hpp"
#include "runtime/base/config.hpp"
#include "runtime/dstream.hpp"
#include "runtime/base/errors.hpp"
#include "runtime/base/listener.hpp"
#include "runtime/rdd.hpp"
#include "runtime/streaming_context.hpp"
#include "runtime/testing.hpp"
#include "runtime/base/text.hpp"
#include "runtime/base/time.hpp"
