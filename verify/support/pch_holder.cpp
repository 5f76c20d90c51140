// The target that builds verify/support/pch.hpp once for every test executable and the report binary
// (target_precompile_headers(... REUSE_FROM seqref_verify_pch)); it has the same flags as they do and no code.
int main() { return 0; }
