// Fixed-size values in byte strings, in this machine's byte order: the
// headers of Rill's frames (object files, record frames, log records).
#pragma once
#include <cstddef>
#include <cstring>
#include <string>

namespace rill::byte_io {

template <class U>
void put(std::string& out, U v) {
  char buf[sizeof(U)];
  std::memcpy(buf, &v, sizeof(U));
  out.append(buf, sizeof(U));
}

// The value at `at`; the caller has checked that the bytes are there.
template <class U>
U get(const std::string& in, size_t at) {
  U v;
  std::memcpy(&v, in.data() + at, sizeof(U));
  return v;
}

}  // namespace rill::byte_io
