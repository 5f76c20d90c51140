// `seqref report`: run every registered check at its default size, print one table, write report.md and
// report.json, exit non-zero if any check fails. `seqref report --method attention/causal_attention` runs one method;
// --method may be repeated (the union of the named methods, in registration order).

#include "seqref/opt/backend.hpp"
#include "verify/support/registry.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using seqref::verify::Check;
using seqref::verify::CheckOutcome;

namespace {

struct Options {
  std::vector<std::string> methods;   ///< empty: every method
  std::vector<std::string> backends;  ///< empty: every backend (ref, cpu, cuda, ...)
  fs::path out = ".";
  fs::path results = fs::path(SEQREF_SOURCE_DIR) / "verify" / "results";
  bool list = false;
};

void usage(std::ostream& os) {
  os << "usage: seqref report [--method <family/method>]... [--backend <ref|cpu|cuda>]... [--out DIR] [--results DIR]\n"
        "                     [--list]\n"
        "  Runs every registered check (identities, equivalences, exact properties) at default sizes, prints a\n"
        "  table, writes DIR/report.md and DIR/report.json (DIR defaults to the current directory; it is created\n"
        "  if missing and must not be a file) and exits 1 if any check fails, 2 on a usage error or when the\n"
        "  report cannot be written. --method may be given several times: the checks of every named method run.\n"
        "  --backend keeps the checks of the named backends only (repeatable; tools/gpu-verify runs --backend cuda).\n"
        "  report.json gives each check a \"status\": \"pass\", \"fail\" or \"skipped\" (with \"skipped\": why).\n"
        "  --results: where tools/gpu-verify results live (default: the source tree's verify/results).\n"
        "  --list: print the registered checks and exit.\n"
        "       seqref version\n";
}

std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      default: o += c;
    }
  }
  return o;
}

std::string json_number(double x) {
  if (!std::isfinite(x)) return "null";
  std::ostringstream os;
  os << std::setprecision(6) << x;
  return os.str();
}

std::string fmt(double x, int precision = 3) {
  if (std::isnan(x)) return "-";
  if (std::isinf(x)) return "inf";
  std::ostringstream os;
  os << std::setprecision(precision) << x;
  return os.str();
}

std::string git_commit() {
  // A bundle run on a machine without the source tree (tools/gpu-verify) names the commit it was built at.
  if (const char* env = std::getenv("SEQREF_COMMIT"); env && *env) return env;
  std::string cmd = std::string("git -C \"") + SEQREF_SOURCE_DIR + "\" rev-parse --short HEAD 2>/dev/null";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[64];
    while (fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out.empty() ? "unknown" : out;
}

// A committed tools/gpu-verify result that ran the method's CUDA suite with every test passing.
struct GpuVerification {
  std::string device, commit, date, file;
};

std::optional<GpuVerification> find_gpu_verification(const fs::path& dir, const std::string& suite) {
  std::optional<GpuVerification> best;
  std::error_code ec;
  if (suite.empty() || !fs::is_directory(dir, ec)) return best;
  // tools/gpu-verify's schema (seqref-gpu-verify/1): "device": {"name": ...}, "commit", "date", "dirty", "ok",
  // "ctest": {"tests": {"<Suite>.<Test>": {"status": "passed"|"failed"|"skipped", ...}}}.
  const std::regex device_re(R"re("device"\s*:\s*\{\s*"name"\s*:\s*"([^"]*)")re"),
      commit_re(R"re("commit"\s*:\s*"([^"]*)")re"), date_re(R"re("date"\s*:\s*"([^"]*)")re"),
      ok_re(R"re("ok"\s*:\s*true)re"), dirty_re(R"re("dirty"\s*:\s*true)re"),
      test_re("\"" + suite + "\\.[^\"]*\"\\s*:\\s*\\{\\s*\"status\"\\s*:\\s*\"(\\w+)\"");
  for (const auto& entry : fs::recursive_directory_iterator(dir, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    int passed = 0, failed = 0;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), test_re); it != std::sregex_iterator(); ++it) {
      if ((*it)[1] == "passed")
        ++passed;
      else if ((*it)[1] == "failed")
        ++failed;
    }
    if (passed == 0 || failed != 0 || !std::regex_search(text, ok_re)) continue;  // a clean run of this suite only
    std::smatch m;
    GpuVerification v;
    if (std::regex_search(text, m, device_re)) v.device = m[1];
    if (std::regex_search(text, m, commit_re)) v.commit = m[1];
    if (std::regex_search(text, m, date_re)) v.date = m[1];
    if (std::regex_search(text, dirty_re)) v.commit += " (uncommitted changes)";
    v.file = fs::relative(entry.path(), fs::path(SEQREF_SOURCE_DIR), ec).string();
    if (!best || v.date > best->date) best = v;
  }
  return best;
}

// A check's verdict: "skipped" (not run; CheckOutcome::skipped says why), else "pass" or "fail".
std::string status_of(const CheckOutcome& o) { return !o.skipped.empty() ? "skipped" : o.pass ? "pass" : "fail"; }

struct Row {
  const Check* check;
  CheckOutcome outcome;
  double seconds;
};

int run_report(const Options& opt) {
  const auto& all = seqref::verify::registered_checks();
  std::set<std::string> registered;
  for (const auto& c : all) registered.insert(c.method);
  for (const auto& m : opt.methods) {
    if (registered.count(m)) continue;
    std::cerr << "seqref report: no registered checks for method '" << m << "'. Registered methods:\n";
    for (const auto& r : registered) std::cerr << "  " << r << "\n";
    return 2;
  }
  const std::set<std::string> wanted(opt.methods.begin(), opt.methods.end());
  const std::set<std::string> backends(opt.backends.begin(), opt.backends.end());
  std::vector<const Check*> selected;
  for (const auto& c : all)
    if ((wanted.empty() || wanted.count(c.method)) && (backends.empty() || backends.count(c.backend)))
      selected.push_back(&c);
  if (selected.empty()) {
    std::cerr << "seqref report: no registered checks" << (backends.empty() ? "" : " for the named backends") << "\n";
    return 2;
  }
  if (opt.list) {
    for (const auto* c : selected) std::cout << c->method << " | " << c->backend << " | " << c->name << "\n";
    return 0;
  }
  // The output directory is checked before any check runs: a report that cannot be written is a usage error, not
  // something to discover after minutes of checks (or never: an unchecked ofstream fails silently).
  {
    std::error_code ec;
    if (fs::exists(opt.out, ec) && !fs::is_directory(opt.out, ec)) {
      std::cerr << "seqref report: --out " << opt.out.string()
                << " exists and is not a directory (it names the directory to write report.md and report.json to)\n";
      return 2;
    }
    fs::create_directories(opt.out, ec);
    if (ec || !fs::is_directory(opt.out)) {
      std::cerr << "seqref report: cannot create the output directory " << opt.out.string() << ": "
                << (ec ? ec.message() : "not a directory") << "\n";
      return 2;
    }
  }

  const bool cuda_built = seqref::cuda::built(), cuda_available = seqref::cuda::available();
  const std::string device = seqref::cuda::device_name();
  const std::string commit = git_commit();
  std::cout << "seqref " << SEQREF_VERSION << " report at " << commit << ": " << selected.size() << " checks, cpu "
            << seqref::cpu::max_threads() << " threads, CUDA "
            << (!cuda_built      ? "not built"
                : cuda_available ? "on " + device
                                 : "built, no device")
            << "\n\n";

  std::vector<Row> rows;
  for (const auto* c : selected) {
    auto start = std::chrono::steady_clock::now();
    CheckOutcome o;
    try {
      o = c->run();
    } catch (const std::exception& e) {
      o.pass = false;
      o.detail = std::string("threw: ") + e.what();
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rows.push_back({c, o, secs});
    std::cout << "  [" << (o.skipped.empty() ? (o.pass ? "pass" : "FAIL") : "skip") << "] " << c->method << " | "
              << c->backend << " | " << c->name << " (" << fmt(secs, 2) << " s)\n"
              << std::flush;
  }

  // The CUDA column, one value per method.
  std::map<std::string, std::string> cuda_status;
  for (const auto& r : rows) {
    const auto& m = r.check->method;
    if (r.check->backend != "cuda") continue;
    std::string status;
    if (!cuda_built) {
      status = "not built";
    } else if (cuda_available && r.outcome.skipped.empty()) {
      status = "ran on " + device + " (this run)";
    } else {
      status = "skipped: no device";
    }
    if (auto v = find_gpu_verification(opt.results, r.check->cuda_suite))
      status += "; verified on " + v->device + " at " + v->commit + " (" + v->file + ")";
    else if (!(cuda_available && r.outcome.skipped.empty()))
      status += "; not verified on a GPU";
    cuda_status[m] = status;
  }
  for (const auto& r : rows)
    if (!cuda_status.count(r.check->method)) cuda_status[r.check->method] = "no CUDA kernel";

  int failed = 0, passed = 0, skipped = 0;
  for (const auto& r : rows) {
    if (!r.outcome.skipped.empty())
      ++skipped;
    else if (r.outcome.pass)
      ++passed;
    else
      ++failed;
  }

  // Markdown table (also printed).
  std::ostringstream md;
  md << "# seqref report\n\ncommit " << commit << "; cpu threads " << seqref::cpu::max_threads() << "; CUDA "
     << (!cuda_built      ? "not built"
         : cuda_available ? "device " + device
                          : "built, no device")
     << "\n\n";
  md << "| method | check | backend | error (u) | bound (u) | pass | speedup vs ref | CUDA | detail |\n"
        "|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : rows) {
    const auto& o = r.outcome;
    std::string verdict = !o.skipped.empty() ? "skipped (" + o.skipped + ")" : o.pass ? "pass" : "**FAIL**";
    md << "| " << r.check->method << " | " << r.check->name << " | " << r.check->backend << " | " << fmt(o.error_u)
       << " | " << fmt(o.bound_u) << " | " << verdict << " | " << (std::isnan(o.speedup) ? "-" : fmt(o.speedup) + "x")
       << " | " << cuda_status[r.check->method] << " | " << o.detail << " |\n";
  }
  md << "\n" << passed << " passed, " << failed << " failed, " << skipped << " skipped\n";

  std::cout << "\n| method | check | backend | error (u) | bound (u) | pass | speedup vs ref | CUDA |\n";
  for (const auto& r : rows) {
    const auto& o = r.outcome;
    std::cout << "| " << r.check->method << " | " << r.check->name << " | " << r.check->backend << " | "
              << fmt(o.error_u) << " | " << fmt(o.bound_u) << " | "
              << (!o.skipped.empty() ? "skip"
                  : o.pass           ? "pass"
                                     : "FAIL")
              << " | " << (std::isnan(o.speedup) ? "-" : fmt(o.speedup) + "x") << " | " << cuda_status[r.check->method]
              << " |\n";
  }
  for (const auto& r : rows)
    if (r.outcome.skipped.empty() && !r.outcome.pass)
      std::cout << "FAILED: " << r.check->method << " / " << r.check->name << ": " << r.outcome.detail << "\n";
  std::cout << "\n" << passed << " passed, " << failed << " failed, " << skipped << " skipped\n";

  std::ostringstream js;
  js << "{\n  \"version\": \"" << SEQREF_VERSION << "\",\n  \"commit\": \"" << commit
     << "\",\n  \"cpu_threads\": " << seqref::cpu::max_threads()
     << ",\n  \"cuda\": {\"built\": " << (cuda_built ? "true" : "false")
     << ", \"available\": " << (cuda_available ? "true" : "false") << ", \"device\": \"" << json_escape(device)
     << "\"},\n  \"summary\": {\"passed\": " << passed << ", \"failed\": " << failed << ", \"skipped\": " << skipped
     << "},\n  \"checks\": [\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const auto& o = r.outcome;
    js << "    {\"method\": \"" << json_escape(r.check->method) << "\", \"check\": \"" << json_escape(r.check->name)
       << "\", \"backend\": \"" << r.check->backend << "\", \"error_u\": " << json_number(o.error_u)
       << ", \"bound_u\": " << json_number(o.bound_u) << ", \"status\": \"" << status_of(o) << "\""
       << ", \"skipped\": " << (o.skipped.empty() ? "null" : "\"" + json_escape(o.skipped) + "\"")
       << ", \"speedup_vs_reference\": " << json_number(o.speedup) << ", \"cuda\": \""
       << json_escape(cuda_status[r.check->method]) << "\", \"seconds\": " << json_number(r.seconds)
       << ", \"detail\": \"" << json_escape(o.detail) << "\"}" << (i + 1 < rows.size() ? "," : "") << "\n";
  }
  js << "  ]\n}\n";

  for (const auto& [name, text] : {std::pair{"report.md", md.str()}, std::pair{"report.json", js.str()}}) {
    const fs::path path = opt.out / name;
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file << text;
    file.close();
    if (!file) {
      std::cerr << "seqref report: could not write " << path.string() << "\n";
      return 2;
    }
  }
  std::cout << "wrote " << (opt.out / "report.md").string() << " and " << (opt.out / "report.json").string() << "\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    usage(std::cout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "version" || args[0] == "--version") {
    std::cout << "seqref " << SEQREF_VERSION << "\n";
    return 0;
  }
  if (args[0] != "report") {
    std::cerr << "seqref: unknown command '" << args[0] << "'\n";
    usage(std::cerr);
    return 2;
  }
  Options opt;
  for (std::size_t i = 1; i < args.size(); ++i) {
    auto value = [&](const char* flag) -> std::string {
      if (i + 1 >= args.size()) {
        std::cerr << "seqref report: " << flag << " needs a value\n";
        std::exit(2);
      }
      return args[++i];
    };
    if (args[i] == "--method")
      opt.methods.push_back(value("--method"));  // repeated: the union
    else if (args[i] == "--backend")
      opt.backends.push_back(value("--backend"));
    else if (args[i] == "--out")
      opt.out = value("--out");
    else if (args[i] == "--results")
      opt.results = value("--results");
    else if (args[i] == "--list")
      opt.list = true;
    else if (args[i] == "--help" || args[i] == "-h") {
      usage(std::cout);
      return 0;
    } else {
      std::cerr << "seqref report: unknown option '" << args[i] << "'\n";
      usage(std::cerr);
      return 2;
    }
  }
  return run_report(opt);
}
