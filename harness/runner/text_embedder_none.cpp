// load_text_embedder for builds without LibTorch: there is no encoder to load.
#include <fmt/format.h>

#include "common/errors.h"
#include "harness/runner/text_embedder_loader.h"

namespace aimicius {

std::shared_ptr<const TextEmbedder> load_text_embedder(const std::filesystem::path& model_dir) {
  throw InputError(fmt::format("this build has no runtime (LibTorch was not found), so it cannot load the "
                               "embedding model {} that suites with embedding metrics need; rebuild with LibTorch",
                               model_dir.string()));
}

}  // namespace aimicius
