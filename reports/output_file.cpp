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
  std::error_code ec;
  if (std::filesystem::is_directory(out, ec))
    throw InputError(fmt::format("cannot write {}: it is a directory (name a file)", out.string()));
  const std::filesystem::path tmp = out.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.flush();
    if (!f) throw InputError(fmt::format("cannot write {}", out.string()));
  }
  std::filesystem::rename(tmp, out, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw InputError(fmt::format("cannot write {}: {}", out.string(), ec.message()));
  }
}

}  // namespace aimicius
