// Exceptions thrown by Rill. Every message names what was wrong and, where
// there is one, the offending key, value, path or operator.
#pragma once
#include <stdexcept>
#include <string>

namespace rill {

// Base of every error Rill raises itself.
class RillError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A configuration key is unknown or its value does not parse.
class ConfigError : public RillError {
 public:
  using RillError::RillError;
};

// An operation is not allowed in the context's current state (for example
// adding an operator after start(), or starting a stopped context).
class IllegalStateError : public RillError {
 public:
  using RillError::RillError;
};

// A batch's job failed; what() carries the original error's message.
class JobFailedError : public RillError {
 public:
  using RillError::RillError;
};

}  // namespace rill
