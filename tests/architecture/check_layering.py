#!/usr/bin/env python3
"""The dependency rules of docs/ARCHITECTURE.md, checked on every #include of the tree.

Each source folder (a layer) may include project headers only from the layers listed for it
below; LibTorch headers only in the folders allowed to pay their compile cost; CUDA sources only
in kernels/ and its tests (tests/kernels/, for test-only kernels). Prints one line per violation (file:line: what and why) and exits 1 when there is
any, 0 otherwise. `--self-test` plants one violation of each kind in a scratch tree and checks
that each is reported, so the checker itself cannot pass by reading nothing.

Usage: check_layering.py [ROOT] | check_layering.py --self-test
"""
import os
import re
import shutil
import sys
import tempfile

# Layer -> the layers its files may include (itself always). The longest matching folder prefix
# of a file decides its layer. Order of the table: bottom to top.
ALLOWED = {
    "common": [],
    "hostsim": ["common"],
    "kernels": ["common"],
    "scorers": ["common", "hostsim"],
    "tasks": ["common", "hostsim", "scorers"],
    "runtime": ["common", "kernels"],
    "training": ["common", "hostsim", "scorers", "tasks", "runtime", "kernels"],
    "harness/store": ["common"],
    "reports": ["common", "harness/store"],
    "harness/backends": ["common", "scorers", "tasks", "runtime", "harness/store"],
    "harness/runner": ["common", "hostsim", "scorers", "tasks", "runtime", "harness/store", "harness/backends"],
    "harness/serve": ["common", "runtime", "harness/backends"],
    "bench": ["common", "kernels", "scorers", "tasks", "runtime", "harness/store", "harness/backends",
              "harness/runner", "reports"],
    "harness/cli": ["common", "hostsim", "kernels", "scorers", "tasks", "runtime", "training", "harness/store",
                    "harness/backends", "harness/runner", "harness/serve", "reports", "bench"],
}
# Where LibTorch headers may be included (each such translation unit costs ~15 s on 2 cores).
TORCH_FOLDERS = ("runtime/", "training/", "bench/", "tests/runtime/", "tests/training/")
# Where CUDA sources may be: the kernels, and test-only kernels beside their tests (a stand-in for
# the kernel before a PDL launch: tests/kernels/late_copy.cu).
CUDA_FOLDERS = ("kernels/", "tests/kernels/")
TORCH_INCLUDE = re.compile(r'#\s*include\s*[<"](torch|ATen|c10)/')
PROJECT_INCLUDE = re.compile(r'#\s*include\s*"([^"]+)"')
SOURCE_ENDINGS = (".cpp", ".h", ".cc", ".hpp", ".cu", ".cuh")
SKIP_FOLDERS = {".git", "build", "models", "datasets", "checkpoints", "docs"}


def layer_of(path):
    best = None
    for layer in ALLOWED:
        if path == layer or path.startswith(layer + "/"):
            if best is None or len(layer) > len(best):
                best = layer
    return best


def source_files(root):
    for folder, dirs, files in os.walk(root):
        rel_folder = os.path.relpath(folder, root)
        # Hidden folders at the top are tools' scratch (.git, .deps and .ab carried to the device
        # machine: scripts/gpu/ab-kernels.sh), never project source.
        dirs[:] = [d for d in dirs if not (rel_folder == "." and (d in SKIP_FOLDERS or d.startswith(".")))
                   and not d.startswith("build")]
        for name in files:
            if name.endswith(SOURCE_ENDINGS):
                yield os.path.normpath(os.path.join(rel_folder, name))


def violations(root):
    found = []
    for rel in sorted(source_files(root)):
        rel = rel.replace(os.sep, "/")
        if rel.endswith((".cu", ".cuh")) and not rel.startswith(CUDA_FOLDERS):
            found.append(f"{rel}: CUDA source outside {', '.join(CUDA_FOLDERS)} (only the kernels and their tests hold CUDA)")
        layer = layer_of(rel)
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            lines = f.readlines()
        for number, line in enumerate(lines, 1):
            if TORCH_INCLUDE.search(line) and not rel.startswith(TORCH_FOLDERS):
                found.append(f"{rel}:{number}: LibTorch header outside {', '.join(TORCH_FOLDERS)}")
            match = PROJECT_INCLUDE.search(line)
            if not match or layer is None:  # tests/ may include any layer
                continue
            target = layer_of(match.group(1))
            if target is None or target == layer or target in ALLOWED[layer]:
                continue
            found.append(f"{rel}:{number}: {layer}/ includes {match.group(1)} ({target}/ is not below {layer}/)")
    return found


def self_test():
    planted = {
        "tasks/suite.h": '#include "harness/store/store.h"\n',               # up the layers
        "reports/table.cpp": '#include "harness/cli/command.h"\n',           # reports -> cli
        "harness/store/store.cpp": '#include <torch/torch.h>\n',             # LibTorch outside runtime
        "scorers/fast.cu": "// a kernel\n",                                   # CUDA outside kernels
        "runtime/model.cpp": '#include "kernels/decode_attention.h"\n',      # allowed: no report
        "tests/kernels/writer.cu": "// a test-only kernel\n",                # allowed: no report
        "tests/runtime/fast.cu": "// a kernel\n",                            # CUDA in other tests
    }
    scratch = tempfile.mkdtemp(prefix="aimicius-layering-")
    try:
        for rel, text in planted.items():
            os.makedirs(os.path.join(scratch, os.path.dirname(rel)), exist_ok=True)
            with open(os.path.join(scratch, rel), "w") as f:
                f.write(text)
        found = violations(scratch)
    finally:
        shutil.rmtree(scratch)
    expected = ["tasks/suite.h:1", "reports/table.cpp:1", "harness/store/store.cpp:1", "scorers/fast.cu",
                "tests/runtime/fast.cu"]
    missing = [e for e in expected if not any(v.startswith(e) for v in found)]
    extra = [v for v in found if not any(v.startswith(e) for e in expected)]
    for m in missing:
        print(f"self-test: the planted violation at {m} was not reported")
    for e in extra:
        print(f"self-test: reported a violation that is none: {e}")
    return 1 if missing or extra else 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    found = violations(root)
    for v in found:
        print(v)
    print(f"check_layering: {len(found)} violation(s)" if found else "check_layering: every include follows the layering")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
