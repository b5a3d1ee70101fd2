// Loading the embedding model that suites with embedding metrics need (cmdgen's CMD and Output
// Scores: all-MiniLM-L6-v2, fetched by scripts/fetch-models.sh). Builds with the runtime wrap its
// SentenceEncoder; builds without LibTorch have no encoder and say so.
#pragma once

#include <filesystem>
#include <memory>

#include "scorers/text_embedder.h"

namespace aimicius {

// Throws InputError naming `model_dir` (and how to get the model) when it cannot be loaded.
std::shared_ptr<const TextEmbedder> load_text_embedder(const std::filesystem::path& model_dir);

}  // namespace aimicius
