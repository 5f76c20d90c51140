#!/usr/bin/env bash
# Install the build into a scratch prefix, then configure, build and run verify/package as a separate project.
set -euo pipefail
build=$1 src=$(cd "$(dirname "$0")" && pwd) work=$1/package-check
rm -rf "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src" -B "$work/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null
"$work/consumer/consumer"
