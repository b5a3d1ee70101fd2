"""The hand-written facts behind the infrawise benchmark-results database.

Everything the generators (generate_benchmarks.py, make_examples.py) know lives here:
  SYSTEMS    canonical SKU name -> hardware facts (public specifications, cited in README.md)
  GPUS       GPU model -> public peak figures (dense tensor TFLOPS, HBM bandwidth, memory)
  WORKLOADS  canonical workload name -> family, description, criteria it is measured by
  CRITERIA   canonical criterion name -> unit, direction, description
  ALIASES    other names people use for systems, workloads and criteria

Invariants: canonical names are unique within their kind; an alias names exactly one canonical
entry of its kind and normalises (see normalise()) differently from every other name of that kind;
every benchmark figure derived from these facts is SYNTHETIC (a documented model applied to public
peak figures), never a measurement, and says so in its `source`.
"""

import re

# Public peak figures per GPU (vendor datasheets; see README.md "Sources of facts").
# bf16/fp8: dense tensor-core TFLOPS (no sparsity); hbm: GB/s; memory: GB; fp8 None = no FP8 units.
GPUS = {
    "H100 SXM5 80GB": {"bf16": 989.4, "fp8": 1978.9, "hbm": 3350, "memory": 80, "train_factor": 2.0},
    "H200 SXM 141GB": {"bf16": 989.4, "fp8": 1978.9, "hbm": 4800, "memory": 141, "train_factor": 2.15},
    "H100 NVL 94GB": {"bf16": 835.5, "fp8": 1670.5, "hbm": 3938, "memory": 94, "train_factor": 1.7},
    "A100 SXM4 80GB": {"bf16": 312.0, "fp8": None, "hbm": 2039, "memory": 80, "train_factor": 1.0},
    "A100 SXM4 40GB": {"bf16": 312.0, "fp8": None, "hbm": 1555, "memory": 40, "train_factor": 0.97},
    "A100 PCIe 80GB": {"bf16": 312.0, "fp8": None, "hbm": 1935, "memory": 80, "train_factor": 0.9},
    "MI300X 192GB": {"bf16": 1307.4, "fp8": 2614.9, "hbm": 5300, "memory": 192, "train_factor": 1.45},
}

# Intra-node GPU fabrics: per-GPU bandwidth in one direction (GB/s), small-message latency floor
# (microseconds), and the fraction of link bandwidth the synthetic collective model reaches.
FABRICS = {
    "NVLink 4 + NVSwitch": {"gbps_per_dir": 450, "latency_us": 11.0, "efficiency": 0.80},
    "NVLink 3 + NVSwitch": {"gbps_per_dir": 300, "latency_us": 13.0, "efficiency": 0.78},
    "Infinity Fabric (xGMI) mesh": {"gbps_per_dir": 448, "latency_us": 17.0, "efficiency": 0.66},
    "PCIe Gen4 x16": {"gbps_per_dir": 32, "latency_us": 19.0, "efficiency": 0.72},
    "PCIe Gen5 x16": {"gbps_per_dir": 64, "latency_us": 16.0, "efficiency": 0.72},
}

# InfiniBand NICs: line rate per port in Gb/s.
NICS = {"NDR 400 Gb/s": 400, "HDR 200 Gb/s": 200}

# Systems: one node / VM each. cloud=True marks Azure VM sizes (a slightly lower synthetic
# efficiency than the on-premises DGX servers with the same GPUs, see generate_benchmarks.py).
SYSTEMS = {
    "ND H100 v5": {"vendor": "Microsoft Azure", "cloud": True, "gpu": "H100 SXM5 80GB", "gpus": 8,
                   "fabric": "NVLink 4 + NVSwitch", "nic": "NDR 400 Gb/s", "nics": 8,
                   "vm_size": "Standard_ND96isr_H100_v5"},
    "ND H200 v5": {"vendor": "Microsoft Azure", "cloud": True, "gpu": "H200 SXM 141GB", "gpus": 8,
                   "fabric": "NVLink 4 + NVSwitch", "nic": "NDR 400 Gb/s", "nics": 8,
                   "vm_size": "Standard_ND96isr_H200_v5"},
    "ND MI300X v5": {"vendor": "Microsoft Azure", "cloud": True, "gpu": "MI300X 192GB", "gpus": 8,
                     "fabric": "Infinity Fabric (xGMI) mesh", "nic": "NDR 400 Gb/s", "nics": 8,
                     "vm_size": "Standard_ND96isr_MI300X_v5"},
    "ND A100 v4": {"vendor": "Microsoft Azure", "cloud": True, "gpu": "A100 SXM4 40GB", "gpus": 8,
                   "fabric": "NVLink 3 + NVSwitch", "nic": "HDR 200 Gb/s", "nics": 8,
                   "vm_size": "Standard_ND96asr_v4"},
    "NDm A100 v4": {"vendor": "Microsoft Azure", "cloud": True, "gpu": "A100 SXM4 80GB", "gpus": 8,
                    "fabric": "NVLink 3 + NVSwitch", "nic": "HDR 200 Gb/s", "nics": 8,
                    "vm_size": "Standard_ND96amsr_A100_v4"},
    "NC A100 v4": {"vendor": "Microsoft Azure", "cloud": True, "gpu": "A100 PCIe 80GB", "gpus": 4,
                   "fabric": "PCIe Gen4 x16", "nic": None, "nics": 0,
                   "vm_size": "Standard_NC96ads_A100_v4"},
    "NCads H100 v5": {"vendor": "Microsoft Azure", "cloud": True, "gpu": "H100 NVL 94GB", "gpus": 2,
                      "fabric": "PCIe Gen5 x16", "nic": None, "nics": 0,
                      "vm_size": "Standard_NC80adis_H100_v5"},
    "DGX H100": {"vendor": "NVIDIA", "cloud": False, "gpu": "H100 SXM5 80GB", "gpus": 8,
                 "fabric": "NVLink 4 + NVSwitch", "nic": "NDR 400 Gb/s", "nics": 8, "vm_size": None},
    "DGX A100": {"vendor": "NVIDIA", "cloud": False, "gpu": "A100 SXM4 80GB", "gpus": 8,
                 "fabric": "NVLink 3 + NVSwitch", "nic": "HDR 200 Gb/s", "nics": 8, "vm_size": None},
}

# Criteria: unit and whether higher or lower is better.
CRITERIA = {
    "bus bandwidth": {"unit": "GB/s", "better": "higher",
                      "description": "collective bus bandwidth as nccl-tests/rccl-tests report it (busbw)"},
    "latency": {"unit": "us", "better": "lower",
                "description": "time of one operation at a small size (collective or RDMA write)"},
    "TFLOPS": {"unit": "TFLOPS", "better": "higher",
               "description": "achieved matrix-multiply throughput per GPU"},
    "memory bandwidth": {"unit": "GB/s", "better": "higher",
                         "description": "achieved device-memory bandwidth per GPU"},
    "network bandwidth": {"unit": "Gb/s", "better": "higher",
                          "description": "achieved RDMA bandwidth per InfiniBand port"},
    "tokens per second": {"unit": "tokens/s", "better": "higher",
                          "description": "generated tokens per second per node"},
    "time to first token": {"unit": "ms", "better": "lower",
                            "description": "prefill latency of one request at batch size 1"},
    "throughput": {"unit": "samples/s", "better": "higher",
                   "description": "training samples (images or sequences) per second per node"},
    "time to train": {"unit": "minutes", "better": "lower",
                      "description": "wall time to reach the benchmark's quality target on one node"},
}

# Workloads: family (the example category) and the criteria results exist for.
WORKLOADS = {
    "all_reduce": {"family": "collective", "criteria": ["bus bandwidth", "latency"],
                   "description": "all-reduce collective across the node's GPUs (NCCL on NVIDIA, RCCL on AMD)"},
    "all_gather": {"family": "collective", "criteria": ["bus bandwidth", "latency"],
                   "description": "all-gather collective across the node's GPUs (NCCL/RCCL)"},
    "reduce_scatter": {"family": "collective", "criteria": ["bus bandwidth"],
                       "description": "reduce-scatter collective across the node's GPUs (NCCL/RCCL)"},
    "alltoall": {"family": "collective", "criteria": ["bus bandwidth"],
                 "description": "all-to-all collective across the node's GPUs (NCCL/RCCL)"},
    "gemm bf16": {"family": "compute", "criteria": ["TFLOPS"],
                  "description": "square BF16 matrix multiply (cuBLASLt/hipBLASLt)"},
    "gemm fp8": {"family": "compute", "criteria": ["TFLOPS"],
                 "description": "square FP8 matrix multiply (GPUs with FP8 units only)"},
    "babelstream": {"family": "memory", "criteria": ["memory bandwidth"],
                    "description": "BabelStream copy and triad kernels on device memory"},
    "ib write": {"family": "network", "criteria": ["network bandwidth", "latency"],
                 "description": "perftest RDMA write between two nodes, one InfiniBand port (ib_write_bw / ib_write_lat)"},
    "llama2-70b inference": {"family": "inference", "criteria": ["tokens per second", "time to first token"],
                             "description": "Llama 2 70B serving on one node, tensor parallel over its GPUs"},
    "resnet50 training": {"family": "training", "criteria": ["throughput", "time to train"],
                          "description": "ResNet-50 v1.5 on ImageNet, data parallel on one node"},
    "bert-large training": {"family": "training", "criteria": ["throughput", "time to train"],
                            "description": "BERT-Large pre-training phase 2 (seq 512), data parallel on one node"},
    "llama2-70b lora fine-tuning": {"family": "training", "criteria": ["time to train"],
                                    "description": "LoRA fine-tuning of Llama 2 70B on one 8-GPU node"},
}

# Other names. Each alias belongs to one canonical name of its kind. Ambiguous names ("A100",
# "H100 nodes", "DGX", "bandwidth") are deliberately absent: a request using them would not
# determine its answer.
ALIASES = {
    "systems": {
        "ND H100 v5": ["Standard_ND96isr_H100_v5", "ND96isr H100 v5", "H100 VM", "NDv5", "ND H100",
                       "Azure H100 VM", "NDv5 H100"],
        "ND H200 v5": ["Standard_ND96isr_H200_v5", "ND96isr H200 v5", "H200 VM", "ND H200",
                       "Azure H200 VM", "NDv5 H200"],
        "ND MI300X v5": ["Standard_ND96isr_MI300X_v5", "ND96isr MI300X v5", "MI300X VM", "ND MI300X",
                         "Azure MI300X VM", "MI300X nodes", "MI300X v5"],
        "ND A100 v4": ["Standard_ND96asr_v4", "ND96asr v4", "NDv4", "ND A100", "A100 40GB VM",
                       "ND96asr A100 v4"],
        "NDm A100 v4": ["Standard_ND96amsr_A100_v4", "ND96amsr A100 v4", "NDmv4", "NDm A100",
                        "A100 80GB VM"],
        "NC A100 v4": ["Standard_NC96ads_A100_v4", "NC96ads A100 v4", "NC A100", "NCv4 A100",
                       "A100 PCIe VM"],
        "NCads H100 v5": ["Standard_NC80adis_H100_v5", "NC80adis H100 v5", "NC H100 v5", "NC H100",
                          "H100 NVL VM"],
        "DGX H100": ["NVIDIA DGX H100", "DGX-H100", "DGXH100"],
        "DGX A100": ["NVIDIA DGX A100", "DGX-A100", "DGXA100"],
    },
    "workloads": {
        "all_reduce": ["all-reduce", "allreduce", "all reduce", "nccl all_reduce", "rccl all_reduce",
                       "all_reduce_perf", "nccl allreduce", "rccl allreduce"],
        "all_gather": ["all-gather", "allgather", "all gather", "nccl all_gather", "rccl all_gather",
                       "all_gather_perf"],
        "reduce_scatter": ["reduce-scatter", "reducescatter", "reduce scatter", "nccl reduce_scatter",
                           "rccl reduce_scatter", "reduce_scatter_perf"],
        "alltoall": ["all-to-all", "all to all", "alltoall_perf", "nccl alltoall", "rccl alltoall",
                     "all_to_all"],
        "gemm bf16": ["bf16 gemm", "bf16 matmul", "bfloat16 gemm", "gemm bfloat16", "bf16 matrix multiply"],
        "gemm fp8": ["fp8 gemm", "fp8 matmul", "gemm float8", "fp8 matrix multiply"],
        "babelstream": ["stream", "babel stream", "stream memory bandwidth", "gpu stream", "stream triad",
                        "hbm stream"],
        "ib write": ["ib_write_bw", "ib_write_lat", "rdma write", "infiniband write", "ib write bandwidth",
                     "perftest write"],
        "llama2-70b inference": ["llama 2 70b inference", "llama-2-70b inference", "llama2 70b inference",
                                 "llama2-70b serving", "llama 2 70b serving", "70b llama inference"],
        "resnet50 training": ["resnet-50 training", "resnet 50 training", "resnet50", "resnet-50",
                              "imagenet resnet50 training"],
        "bert-large training": ["bert large training", "bert training", "bert-large", "bert large",
                                "bert pretraining"],
        "llama2-70b lora fine-tuning": ["llama 2 70b lora", "llama2-70b lora", "lora fine-tuning",
                                        "llama2 70b lora finetuning", "llama-2-70b lora fine-tuning",
                                        "70b lora fine-tune"],
    },
    "criteria": {
        "bus bandwidth": ["busbw", "bus bw", "bus-bandwidth", "nccl bus bandwidth"],
        "latency": ["time per op", "small message latency", "small-message latency"],
        "TFLOPS": ["tflops", "tflop/s", "flops", "achieved tflops", "matmul throughput"],
        "memory bandwidth": ["hbm bandwidth", "device memory bandwidth", "memory bw", "stream bandwidth"],
        "network bandwidth": ["ib bandwidth", "rdma bandwidth", "link bandwidth", "nic bandwidth"],
        "tokens per second": ["tokens/s", "tokens/sec", "token throughput", "tok/s",
                              "generation throughput", "tps"],
        "time to first token": ["ttft", "first token latency", "time-to-first-token", "prefill latency"],
        "throughput": ["samples per second", "samples/s", "images per second", "sequences per second",
                       "training throughput"],
        "time to train": ["training time", "time-to-train", "minutes to train",
                          "wall time to converge"],
    },
}


def normalise(name):
    """The comparison key of a name: lower case, every run of characters other than letters and
    digits becomes one space, no leading or trailing space. Must match the C++ scorer's rule
    (tasks/infrawise/dcw_names.h)."""
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()
