#include "verify/support/registry.hpp"

namespace seqref::verify {

namespace {
std::vector<Check>& storage() {
  static std::vector<Check> checks;  // function-local: safe against static initialization order
  return checks;
}
}  // namespace

void register_check(Check check) { storage().push_back(std::move(check)); }
const std::vector<Check>& registered_checks() { return storage(); }

}  // namespace seqref::verify
