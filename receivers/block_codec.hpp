// How a received block is written to the write-ahead log and read back.
//
// A block's payload: u64 record count, u32 chunk count, then per chunk a u8
// encoding, u64 byte estimate, u64 length and the chunk's bytes. A text chunk
// (lines of a text source) is its text as is; a chunk of records is a
// Boost.Serialization binary archive of its std::vector<T>.
//
// Record types the log can hold: is_serializable<T> is true for arithmetic
// types, std::string, and std::pair, std::vector and std::map of them, and
// for classes with a member `template <class Ar> void serialize(Ar&, unsigned)`.
// Specialize rill::is_serializable for a type serialized by a free function.
#pragma once
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>

#include <cstring>
#include <deque>
#include <string_view>
#include <map>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "receivers/text_chunk_pool.hpp"
#include "runtime/base/byte_io.hpp"
#include "runtime/base/errors.hpp"
#include "runtime/base/received_block.hpp"
#include "runtime/base/record_codec.hpp"

namespace rill {

namespace block_codec_detail {
using byte_io::put;
// Reads the value at `at` and moves past it; a record cut short is an error.
template <class U>
U get(const std::string& in, size_t& at) {
  if (in.size() - at < sizeof(U)) throw RillError("write-ahead log: a block record is cut short");
  U v = byte_io::get<U>(in, at);
  at += sizeof(U);
  return v;
}
}  // namespace block_codec_detail

// A block as a log record's parts, in order: the text of text chunks is
// referred to, not copied (the block must outlive the parts).
struct EncodedBlock {
  std::deque<std::string> owned;  // headers and serialized records (stable addresses)
  std::vector<std::string_view> parts;
};

template <class T>
EncodedBlock encode_block(const ReceivedBlock& block) {
  using namespace block_codec_detail;
  static_assert(is_serializable_v<T>, "encode_block: the record type is not serializable");
  EncodedBlock out;
  auto add_owned = [&](std::string s) { out.parts.emplace_back(out.owned.emplace_back(std::move(s))); };
  std::string head;
  put<uint64_t>(head, static_cast<uint64_t>(block.num_records));
  put<uint32_t>(head, static_cast<uint32_t>(block.chunks.size()));
  for (const auto& chunk : block.chunks) {
    std::string_view text;
    std::string records;
    if (chunk.encoding == ChunkEncoding::text_lines) {
      text = chunk_text(chunk);
    } else {
      std::ostringstream os(std::ios::binary);
      {
        boost::archive::binary_oarchive ar(os, boost::archive::no_header);
        ar << *std::static_pointer_cast<const std::vector<T>>(chunk.data);
      }
      records = os.str();
      text = records;
    }
    put<uint8_t>(head, static_cast<uint8_t>(chunk.encoding));
    put<uint64_t>(head, static_cast<uint64_t>(chunk.bytes));
    put<uint64_t>(head, text.size());
    add_owned(std::move(head));
    head.clear();
    if (chunk.encoding == ChunkEncoding::text_lines)
      out.parts.push_back(text);
    else
      add_owned(std::move(records));
  }
  if (!head.empty()) add_owned(std::move(head));
  return out;
}

// The block a payload of encode_block<T> holds, with `id` and `stream_id`.
template <class T>
std::shared_ptr<ReceivedBlock> decode_block(const std::string& payload, int64_t id, int stream_id) {
  using namespace block_codec_detail;
  static_assert(is_serializable_v<T>, "decode_block: the record type is not serializable");
  auto block = std::make_shared<ReceivedBlock>();
  block->id = id;
  block->stream_id = stream_id;
  size_t at = 0;
  block->num_records = static_cast<int64_t>(get<uint64_t>(payload, at));
  const uint32_t chunks = get<uint32_t>(payload, at);
  for (uint32_t i = 0; i < chunks; ++i) {
    Chunk chunk;
    chunk.encoding = static_cast<ChunkEncoding>(get<uint8_t>(payload, at));
    chunk.bytes = static_cast<int64_t>(get<uint64_t>(payload, at));
    const uint64_t n = get<uint64_t>(payload, at);
    if (payload.size() - at < n) throw RillError("write-ahead log: a block record is cut short");
    const char* bytes = payload.data() + at;
    at += n;
    if (chunk.encoding == ChunkEncoding::text_lines) {
      chunk.data = TextChunkPool::shared()->copy(bytes, bytes + n);
    } else {
      std::istringstream is(std::string(bytes, n), std::ios::binary);
      auto records = std::make_shared<std::vector<T>>();
      boost::archive::binary_iarchive ar(is, boost::archive::no_header);
      ar >> *records;
      chunk.data = std::shared_ptr<const std::vector<T>>(std::move(records));
    }
    block->bytes += chunk.bytes;
    block->chunks.push_back(std::move(chunk));
  }
  return block;
}

}  // namespace rill
