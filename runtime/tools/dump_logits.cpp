// aimicius_dump_logits (a validation tool, runtime/tools/): the runtime's logits for one token sequence, written as raw float32
// ([tokens, vocab], row-major) for comparison with a peer implementation (scripts/gpu/
// validate_hf.py compares them with Hugging Face transformers on the CUDA machine).
//
//   aimicius_dump_logits CHECKPOINT DEVICE DTYPE TOKENS_CSV OUT.f32
#include <fstream>
#include <iostream>
#include <sstream>

#include "runtime/model.h"

int main(int argc, char** argv) {
  using namespace aimicius::runtime;
  if (argc != 6) {
    std::cerr << "usage: aimicius_dump_logits CHECKPOINT cpu|cuda f32|bf16|f16 TOKENS_CSV OUT.f32\n";
    return 2;
  }
  try {
    ModelOptions o;
    o.device = torch::Device(argv[2]);
    const std::string dtype = argv[3];
    o.dtype = dtype == "bf16" ? torch::kBFloat16 : dtype == "f16" ? torch::kFloat16 : torch::kFloat32;
    auto model = Model::load(argv[1], o);
    std::vector<int64_t> ids;
    std::stringstream ss(argv[4]);
    for (std::string item; std::getline(ss, item, ',');) ids.push_back(std::stoll(item));
    KVCache cache = model->make_cache(1, static_cast<int64_t>(ids.size()));
    const torch::Tensor logits =
        model->forward(torch::tensor(ids).view({1, -1}), cache, {0}, false)[0].to(torch::kCPU).contiguous();
    std::ofstream out(argv[5], std::ios::binary);
    out.write(reinterpret_cast<const char*>(logits.data_ptr<float>()), logits.numel() * sizeof(float));
    std::cout << "wrote " << logits.size(0) << "x" << logits.size(1) << " logits to " << argv[5] << "\n";
  } catch (const std::exception& e) {
    std::cerr << "aimicius_dump_logits: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
