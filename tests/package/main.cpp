// A program outside the Rill tree, built against an installed Rill through
// find_package(rill): it runs a one-batch pipeline and checks the result.
#include "runtime/rill.hpp"

int main() {
  auto out = rill::testing::run_operation<int>(
      {{1, 2}}, [](rill::DStream<int> s) { return s.map([](int x) { return x + 1; }); }, 1);
  return out == std::vector<std::vector<int>>{{2, 3}} ? 0 : 1;
}
