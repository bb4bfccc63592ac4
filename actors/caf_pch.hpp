// Precompiled for the rill library: CAF's headers dominate compile time.
#pragma once
#include <caf/all.hpp>
