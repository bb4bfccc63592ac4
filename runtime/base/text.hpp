// Splitting text. split(line) is the guide's line.split(" "): a vector of
// strings. split_words(line) is a range of the space-separated words of
// `line`, as std::string_views into it: nothing is copied, so
// lines.as_views().flat_map(rill::split_words) costs no heap allocation per
// line or per word. Views are valid as long as the text they were split from
// (for view records, the batch: see DStream::as_views).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace rill {

class Words {
 public:
  explicit Words(std::string_view text, char separator = ' ') : text_(text), separator_(separator) {}

  class iterator {
   public:
    using value_type = std::string_view;
    using reference = std::string_view;
    using difference_type = std::ptrdiff_t;
    using iterator_category = std::input_iterator_tag;

    iterator(const char* p, const char* end, char separator) : p_(p), end_(end), separator_(separator) {
      advance();
    }
    std::string_view operator*() const { return word_; }
    iterator& operator++() {
      advance();
      return *this;
    }
    bool operator==(const iterator& o) const { return word_.data() == o.word_.data(); }
    bool operator!=(const iterator& o) const { return word_.data() != o.word_.data(); }

   private:
    void advance() {
      while (p_ < end_ && *p_ == separator_) ++p_;
      if (p_ >= end_) {
        word_ = std::string_view(end_, 0);
        return;
      }
      const char* start = p_;
      const void* next = std::memchr(p_, separator_, static_cast<size_t>(end_ - p_));
      p_ = next ? static_cast<const char*>(next) : end_;
      word_ = std::string_view(start, static_cast<size_t>(p_ - start));
    }
    const char* p_;
    const char* end_;
    char separator_;
    std::string_view word_;
  };

  iterator begin() const { return iterator(text_.data(), text_.data() + text_.size(), separator_); }
  iterator end() const { return iterator(text_.data() + text_.size(), text_.data() + text_.size(), separator_); }

 private:
  std::string_view text_;
  char separator_;
};

// split_words(text[, separator]): the words of `text` separated by runs of
// `separator` (' ' by default; empty words are skipped), as views into
// `text`. A function object, so that flat_map(rill::split_words) works.
struct SplitWords {
  Words operator()(std::string_view text, char separator = ' ') const { return Words(text, separator); }
};
inline constexpr SplitWords split_words{};

// split(text[, separator]): Java's String.split with a one-character
// separator, as the guide's line.split(" ") does: the pieces between
// separators as strings, empty pieces between adjacent separators kept,
// trailing empty pieces removed. flat_map(rill::split) does not build the
// vector: it hands each piece on as it is found (for_each_piece).
struct Split {
  std::vector<std::string> operator()(std::string_view text, char separator = ' ') const {
    std::vector<std::string> out;
    // Sized once: growing by doubling would move every word several times.
    out.reserve(static_cast<size_t>(std::count(text.begin(), text.end(), separator)) + 1);
    for_each_piece(text, [&](std::string_view piece) { out.emplace_back(piece); }, separator);
    return out;
  }

  // Calls f(piece) for each piece operator() would return, in order, as
  // views into `text`.
  template <class F>
  void for_each_piece(std::string_view text, F&& f, char separator = ' ') const {
    size_t empty_pieces = 0;  // held back until a non-empty piece shows they are not trailing
    size_t start = 0;
    while (true) {
      const size_t next = text.find(separator, start);
      const std::string_view piece =
          text.substr(start, next == std::string_view::npos ? std::string_view::npos : next - start);
      if (piece.empty()) {
        ++empty_pieces;
      } else {
        for (; empty_pieces > 0; --empty_pieces) f(std::string_view());
        f(piece);
      }
      if (next == std::string_view::npos) return;
      start = next + 1;
    }
  }
};
inline constexpr Split split{};

}  // namespace rill
