#include "runtime/base/time.hpp"

#include <cctype>
#include <stdexcept>

namespace rill {

Duration parse_duration(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  size_t digits_begin = i;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == digits_begin)
    throw std::invalid_argument("'" + text + "' is not a duration (expected e.g. 200ms, 2s, 5min)");
  // 13 digits hold any duration up to ~300 years in ms; more cannot be meant
  // and could overflow once multiplied by the unit.
  if (i - digits_begin > 13)
    throw std::invalid_argument("'" + text + "' is too long a duration");
  int64_t n = std::stoll(text.substr(digits_begin, i - digits_begin));
  std::string unit;
  while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])))
    unit += static_cast<char>(std::tolower(static_cast<unsigned char>(text[i++])));
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  if (i != text.size())
    throw std::invalid_argument("'" + text + "' is not a duration (trailing text)");
  if (unit.empty() || unit == "ms") return Milliseconds(n);
  if (unit == "s" || unit == "sec") return Seconds(n);
  if (unit == "m" || unit == "min") return Minutes(n);
  if (unit == "h") return Minutes(60 * n);
  throw std::invalid_argument("'" + text + "' has an unknown duration unit '" + unit +
                              "' (use ms, s, min or h)");
}

}  // namespace rill
