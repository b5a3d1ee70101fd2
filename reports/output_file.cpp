#include "reports/output_file.h"

#include <cstdio>
#include <fstream>

#include <fmt/format.h>

#include "common/errors.h"

namespace aimicius {

void write_report_output(const std::filesystem::path& out, const std::string& text) {
  if (out.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return;
  }
  const std::filesystem::path tmp = out.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.flush();
    if (!f) throw InputError(fmt::format("cannot write {}", out.string()));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, out, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw InputError(fmt::format("cannot write {}: {}", out.string(), ec.message()));
  }
}

}  // namespace aimicius
