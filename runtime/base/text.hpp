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
// trailing empty pieces removed.
struct Split {
  std::vector<std::string> operator()(std::string_view text, char separator = ' ') const {
    std::vector<std::string> out;
    // Sized once: growing by doubling would move every word several times.
    out.reserve(static_cast<size_t>(std::count(text.begin(), text.end(), separator)) + 1);
    size_t start = 0;
    while (true) {
      size_t next = text.find(separator, start);
      if (next == std::string_view::npos) {
        out.emplace_back(text.substr(start));
        break;
      }
      out.emplace_back(text.substr(start, next - start));
      start = next + 1;
    }
    while (!out.empty() && out.back().empty()) out.pop_back();
    return out;
  }
};
inline constexpr Split split{};

}  // namespace rill
