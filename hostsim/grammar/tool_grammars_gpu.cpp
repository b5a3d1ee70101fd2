// Option grammars of the GPU tools: NVIDIA (nvidia-smi, dcgmi, nvcc, nsys, ncu, cuobjdump), AMD
// (rocm-smi, amd-smi, hipcc, hipconfig, hipify-perl, rocminfo, rocm-bandwidth-test) and the
// nccl-tests / rccl-tests binaries. Written from the tools' --help texts and manuals.
// Invariant: for every tool hostsim simulates, names[0] of an option and its arity are what
// hostsim's parser accepts (tests/hostsim/tool_grammar_test.cpp runs the canonical spellings).
#include "hostsim/grammar/tool_tables.h"

namespace aimicius::grammar {
namespace {

// nvidia-smi's main mode. -cgi before -C etc.: table order is canonical order, and the order in
// which hostsim's parsers need dependent options.
constexpr const char* kNvidiaSmi =
    "-i|--id:v,list,set,index -q|--query -d|--display:v,list,set,upper,"
    "enum=MEMORY/UTILIZATION/ECC/TEMPERATURE/POWER/CLOCK/COMPUTE/PIDS/PERFORMANCE/PAGE_RETIREMENT/ACCOUNTING/"
    "ENCODER_STATS/FBC_STATS/ROW_REMAPPER "
    "-x|--xml-format -L|--list-gpus -l|--loop:o,num -lms|--loop-ms:o,num -f|--filename:v -u|--unit "
    "--query-gpu:v,list,joined --query-compute-apps:v,list,joined --query-accounted-apps:v,list,joined "
    "--query-retired-pages:v,list,joined --query-remapped-rows:v,list,joined --query-supported-clocks:v,list,joined "
    "--format:v,list,set,lower,joined --help-query-gpu --help-query-compute-apps -h|--help --dtd "
    "-pm|--persistence-mode:v,upper,enum=0/1 -e|--ecc-config:v,upper,enum=0/1 -p|--reset-ecc-errors:v,upper,enum=0/1 "
    "-c|--compute-mode:v,upper,enum=DEFAULT/EXCLUSIVE_PROCESS/PROHIBITED -r|--gpu-reset "
    "-ac|--applications-clocks:v,list,num -rac|--reset-applications-clocks -lgc|--lock-gpu-clocks:v,list,num "
    "-rgc|--reset-gpu-clocks -lmc|--lock-memory-clocks:v,list,num -rmc|--reset-memory-clocks -pl|--power-limit:v,num "
    "-mig|--multi-instance-gpu:v,enum=0/1 -am|--accounting-mode:v,upper,enum=0/1 -caa|--clear-accounted-apps";
constexpr const char* kNvidiaSmiMonitor =
    "-i|--id:v,list,set,index -s|--select:v,chars -c|--count:v,num -d|--delay:v,num,def=1 -o|--options:v,chars "
    "-f|--filename:v -h|--help";

// nccl-tests and rccl-tests: getopt_long over the same table (defaults as the tools print them).
constexpr const char* kCollective =
    "-t|--nthreads:v,num,def=1 -g|--ngpus:v,num,def=1 -b|--minbytes:v,size,def=33554432 "
    "-e|--maxbytes:v,size,def=33554432 -i|--stepbytes:v,num,def=1048576 -f|--stepfactor:v,num,def=1 "
    "-n|--iters:v,num,def=20 -m|--agg_iters:v,num,def=1 -w|--warmup_iters:v,num,def=5 "
    "-p|--parallel_init:v,num,def=0 -c|--check:v,num,def=1 "
    "-o|--op:v,def=sum,enum=sum/prod/min/max/avg/mulsum/all "
    "-d|--datatype:v,def=float,enum=int8/uint8/int32/uint32/int64/uint64/half/float/double/bfloat16/all "
    "-r|--root:v,num,def=0 -z|--blocking:v,num,def=0 -y|--stream_null:v,num,def=0 -T|--timeout:v,num "
    "-G|--cudagraph:v,num,def=0 -C|--report_cputime:v,num,def=0 -a|--average:v,num,def=1 -h|--help";

constexpr const char* kRocmSmi =
    "-d|--device:m,set,index --alldevices --showuse|-u --showmemuse --showmeminfo:m,set,lower,enum=vram/vis_vram/gtt/all "
    "--showtemp|-t --showpower|-P --showmaxpower|-M --showclocks|-c --showclkfrq|-s --showtopo --showtopoweight "
    "--showtopohops --showtopotype --showtoponuma --showpids --showpidgpus:m,set --showproductname --showid|-i "
    "--showserial --showuniqueid --showbus --showdriverversion --showvbios|-v --showfwinfo:m,set,lower "
    "--showperflevel|-p --showxgmierr --showrasinfo --showretiredpages --showcomputepartition "
    "--showmemorypartition --showbw|-b --showenergycounter --showreplaycount --showfan|-f --showallinfo|-a "
    "--showprofile|-l --json --csv -h|--help -V|--version "
    "--setperflevel:v,lower,enum=auto/low/high/manual --resetclocks|-r --setpoweroverdrive:v,num "
    "--resetpoweroverdrive --gpureset --setperfdeterminism:v,num --setsclk:m,num --setmclk:m,num --setfan:v "
    "--resetfans --setprofile:v --resetprofile";

constexpr const char* kAmdSmiCommon = "-g|--gpu:m,set,index --json --csv -h|--help ";

constexpr const char* kNvcc =
    "-o|--output-file:v -c|--compile -dc|--device-c -E|--preprocess -ptx|--ptx -cubin|--cubin -fatbin|--fatbin "
    "-arch|--gpu-architecture:v,lower,enum=sm_70/sm_75/sm_80/sm_86/sm_89/sm_90/sm_90a/native "
    "-code|--gpu-code:v,list,lower -gencode|--generate-code:v,ordered -O|--optimize:v,num -g|--debug "
    "-G|--device-debug -lineinfo|--generate-line-info -std|--std:v -Xcompiler|--compiler-options:v,ordered "
    "-Xptxas|--ptxas-options:v,ordered -Xlinker|--linker-options:v,ordered "
    "-rdc|--relocatable-device-code:v,lower,enum=true/false -keep|--keep -maxrregcount|--maxrregcount:v,num "
    "-ccbin|--compiler-bindir:v -x|--x:v -shared|--shared -I|--include-path:v,ordered -L|--library-path:v,ordered "
    "-l|--library:v,ordered -D|--define-macro:v -use_fast_math|--use_fast_math -res-usage|--resource-usage "
    "--version|-V --list-gpu-arch|-arch-ls --list-gpu-code|-code-ls --help|-h";

constexpr const char* kHipcc =
    "-o:v -c -E -S -g -shared -O:v,num -I:v,ordered -L:v,ordered -l:v,ordered -D:v -std|--std:v -x:v "
    "--offload-arch:v,lower,enum=gfx90a/gfx942/gfx908/gfx1100 -fgpu-rdc -fPIC --version -v";

}  // namespace

void add_gpu_tool_grammars(std::vector<ToolGrammar>& out) {
  out.push_back(make_tool({"nvidia-smi"}, Style::kSingleDash, "/usr/bin", kNvidiaSmi,
                          {{"topo",
                            "-m|--matrix -mp|--matrix_pci -p2p|--p2pstatus:v,lower,enum=r/w/n/a/p -i|--id:v,list,set,index "
                            "-c|--cpu:v -n|--nearest_cpu:v -h|--help"},
                           {"nvlink",
                            "-i|--id:v,list,set,index -l|--link:v,num -s|--status -e|--errorcounters -c|--capabilities "
                            "-p|--pcibusid:v -R|--remotelinkinfo -h|--help"},
                           {"dmon", kNvidiaSmiMonitor},
                           {"pmon", kNvidiaSmiMonitor},
                           {"mig",
                            "-i|--id:v,list,set,index -lgip|--list-gpu-instance-profiles -lgi|--list-gpu-instances "
                            "-lci|--list-compute-instances -cgi|--create-gpu-instance:v,list "
                            "-cci|--create-compute-instance:v,list -dgi|--destroy-gpu-instance "
                            "-dci|--destroy-compute-instance -C|--default-compute-instance -gi|--gpu-instance-id:v,list,set "
                            "-ci|--compute-instance-id:v,list,set -lgipp -lcip|--list-compute-instance-profiles -h|--help"}}));
  ToolGrammar& smi = out.back();
  smi.combine = false;

  ToolGrammar dcgmi = make_tool(
      {"dcgmi"}, Style::kGetopt, "/usr/bin", "-v|--version -h|--help",
      {{"discovery", "-l|--list -h|--help"},
       {"group",
        "-l|--list -c|--create:v -d|--delete:v -g|--group:v -a|--add:v -r|--remove:v --default --defaultnvswitches "
        "-i|--info -j|--json -h|--help"},
       {"health", "-g|--group:v,num,def=0 -s|--set:v,chars -c|--check -f|--fetch -j|--json -h|--help"},
       {"diag", "-r|--run:v,enum=1/2/3/4 -i|--gpuList:v,list,set,index -g|--group:v -p|--parameters:v -j|--json "
                "-v|--verbose --fail-early -h|--help"},
       {"dmon", "-l|--list -e|--field-id:v,list -i|--entity-id:v,list,set,index -c|--count:v,num -d|--delay:v,num "
                "-g|--group-id:v -f|--field-group-id:v -h|--help"},
       {"nvlink", "-g|--gpuid:v,num -s|--link-status -e|--errors -j|--json -h|--help"}});
  dcgmi.combine = false;  // tclap-style parsing: only whole options are documented
  out.push_back(dcgmi);

  ToolGrammar nvcc = make_tool({"nvcc"}, Style::kSingleDash, "/usr/local/cuda/bin", kNvcc);
  nvcc.lenient = true;
  out.push_back(nvcc);

  ToolGrammar nsys = make_tool(
      {"nsys"}, Style::kGetopt, "/usr/local/cuda/bin", "-v|--version -h|--help",
      {{"profile",
        "-o|--output:v -t|--trace:v,list,set,lower -d|--duration:v,num -y|--delay:v,num --stats:v,lower,enum=true/false "
        "-c|--capture-range:v -f|--force-overwrite:v,lower -s|--sample:v,lower -w|--show-output:v,lower "
        "-x|--stop-on-exit:v,lower -b|--backtrace:v -e|--env-var:v --cuda-memory-usage:v,lower -h|--help",
        true},
       {"stats", "-r|--report:v,list -f|--format:v -o|--output:v --force-export:v,lower -h|--help"},
       {"export", "-t|--type:v,lower,enum=sqlite/hdf/text/json/info/arrow/parquetdir -o|--output:v "
                  "-f|--force-overwrite:v,lower -h|--help"},
       {"analyze", "-r|--rule:v,list -o|--output:v -h|--help"}});
  nsys.combine = false;
  out.push_back(nsys);

  ToolGrammar ncu = make_tool(
      {"ncu"}, Style::kGetopt, "/usr/local/cuda/bin",
      "-o|--export:v -f|--force-overwrite -i|--import:v --set:v,lower,enum=basic/detailed/full/roofline "
      "--section:v,enum=SpeedOfLight/MemoryWorkloadAnalysis/ComputeWorkloadAnalysis/LaunchStats/Occupancy "
      "--metrics:v,list,set -k|--kernel-name:v -s|--launch-skip:v,num,def=0 -c|--launch-count:v,num "
      "--list-sets --list-sections --query-metrics --target-processes:v --page:v --csv --print-summary:v "
      "--replay-mode:v --launch-skip-before-match:v,num -h|--help -v|--version",
      {}, true);
  ncu.combine = false;
  out.push_back(ncu);

  ToolGrammar cuobjdump = make_tool({"cuobjdump"}, Style::kSingleDash, "/usr/local/cuda/bin",
                                    "-sass|--dump-sass -ptx|--dump-ptx -elf|--dump-elf -res-usage|--dump-resource-usage "
                                    "-lelf|--list-elf -lptx|--list-ptx -arch|--gpu-architecture:v -fun|--function:v "
                                    "-h|--help -V|--version");
  out.push_back(cuobjdump);

  ToolGrammar rocm_smi = make_tool({"rocm-smi"}, Style::kGetopt, "/opt/rocm/bin", kRocmSmi);
  out.push_back(rocm_smi);

  const std::string amd = kAmdSmiCommon;
  out.push_back(make_tool(
      {"amd-smi"}, Style::kGetopt, "/opt/rocm/bin", "-h|--help",
      {{"list", amd},
       {"static", amd + "-a|--asic -b|--bus -V|--vbios -B|--board -l|--limit -d|--driver -v|--vram -u|--numa"},
       {"metric",
        amd + "-u|--usage -p|--power -c|--clock -t|--temperature -P|--pcie -e|--ecc -f|--fan -m|--mem-usage"},
       {"process", amd},
       {"topology", amd},
       {"version", "-h|--help --json"},
       {"firmware", amd},
       {"monitor", amd},
       {"xgmi", amd},
       {"partition", amd}}));

  ToolGrammar hipcc = make_tool({"hipcc"}, Style::kSingleDash, "/opt/rocm/bin", kHipcc);
  hipcc.lenient = true;
  out.push_back(hipcc);

  ToolGrammar hipconfig =
      make_tool({"hipconfig"}, Style::kGetopt, "/opt/rocm/bin",
                "--full --platform --version --path --rocmpath --compiler --cpp_config --runtime --newline --check "
                "--help");
  hipconfig.combine = false;
  out.push_back(hipconfig);

  ToolGrammar hipify = make_tool({"hipify-perl"}, Style::kSingleDash, "/opt/rocm/bin",
                                 "-print-stats -inplace -no-output -examine -quiet-warnings -o:v -help");
  hipify.lenient = true;
  out.push_back(hipify);

  out.push_back(make_tool({"rocminfo"}, Style::kGetopt, "/opt/rocm/bin", "--help"));
  out.push_back(make_tool({"rocm_agent_enumerator"}, Style::kGetopt, "/opt/rocm/bin", ""));
  ToolGrammar bandwidth = make_tool({"rocm-bandwidth-test"}, Style::kGetopt, "/opt/rocm/bin",
                                    "-a -A -t -c -e -v -h -l -g -s:v,list,index -d:v,list,index -b:v,list,index -m:v");
  bandwidth.combine = false;
  out.push_back(bandwidth);

  out.push_back(make_tool({"all_reduce_perf", "all_gather_perf", "broadcast_perf", "reduce_perf",
                           "reduce_scatter_perf", "alltoall_perf", "sendrecv_perf", "scatter_perf", "gather_perf",
                           "hypercube_perf"},
                          Style::kGetopt, "", kCollective));
}

}  // namespace aimicius::grammar
