#pragma once
/// \file
/// The precompiled header of the verify targets (CMake option SEQREF_PCH): the third-party and standard headers
/// that every test, property and check file parses — Boost.Multiprecision (the Oracle), Eigen, GoogleTest and
/// RapidCheck — about 3.6 s of parsing per translation unit on the CI machine, paid once per build instead.
/// Only headers from outside the project belong here, so editing seqref's own headers never rebuilds it.

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <Eigen/Dense>
#include <Eigen/Eigenvalues>
#include <boost/multiprecision/cpp_bin_float.hpp>
#include <boost/multiprecision/eigen.hpp>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>
