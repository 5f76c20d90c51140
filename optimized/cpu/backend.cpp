#include "seqref/opt/backend.hpp"

#include <omp.h>

namespace seqref::cpu {
int max_threads() { return omp_get_max_threads(); }
}  // namespace seqref::cpu
