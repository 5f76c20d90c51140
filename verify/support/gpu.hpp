#pragma once
/// \file
/// The one GPU gate. Tests that need a device call SEQREF_REQUIRE_CUDA() first; without a device (or without the
/// CUDA backend) they are skipped with "no CUDA device" and never fail or exit. Their CTest label is `gpu`.

#include "seqref/opt/backend.hpp"

#include <gtest/gtest.h>

#define SEQREF_REQUIRE_CUDA()                                                                \
  do {                                                                                       \
    if (!::seqref::cuda::built()) GTEST_SKIP() << "no CUDA device (CUDA backend not built)"; \
    if (!::seqref::cuda::available()) GTEST_SKIP() << "no CUDA device";                      \
  } while (0)
