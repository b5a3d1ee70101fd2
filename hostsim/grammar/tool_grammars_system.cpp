// Option grammars of the cluster and Linux tools cmdgen answers use: Open MPI's mpirun, perftest
// (ib_write_bw, ...), InfiniBand diagnostics, SuperBench's `sb`, numactl, taskset, watch,
// util-linux/procps/coreutils/grep. Written from the tools' manual pages and --help texts.
// Invariant: as for the GPU tools, names[0] and arities of the simulated ones (mpirun, ibstat,
// ibstatus, ibv_devinfo, ibv_devices, lspci) are what hostsim's parsers accept.
#include "hostsim/grammar/tool_tables.h"

namespace aimicius::grammar {
namespace {

constexpr const char* kMpirun =
    "-np|--np|-n|-c:v,num -H|--host|-host:v,list -N|--npernode|-npernode:v,num "
    "--hostfile|-hostfile|--machinefile|-machinefile:v -x:v,ordered --mca|-mca:2 --bind-to|-bind-to:v,lower "
    "--map-by|-map-by:v,lower --rank-by|-rank-by:v,lower --oversubscribe|-oversubscribe:harmless "
    "--allow-run-as-root:harmless --tag-output --report-bindings --display-map";

constexpr const char* kPerftest =
    "-d|--ib-dev:v -i|--ib-port:v,num -a|--all -D|--duration:v,num -q|--qp:v,num -s|--size:v,num -n|--iters:v,num "
    "-F|--CPU-freq:harmless -x|--gid-index:v,num -p|--port:v,num -c|--connection:v,upper,enum=RC/UC/UD/XRC/DC "
    "-m|--mtu:v,num -b|--bidirectional -R|--rdma_cm -t|--tx-depth:v,num -e|--events --report_gbits --use_cuda:v,num "
    "--run_infinitely -h|--help";

constexpr const char* kSuperBench =
    "-f|--host-file:v -l|--host-list:v,list,set -c|--config-file:v -C|--config-override:m -i|--docker-image:v "
    "--docker-username:v --docker-password:v --no-docker --no-image-pull --host-username:v --host-password:v "
    "--private-key:v --output-dir:v -n|--name:v --data-file|-d:v --rule-file|-r:v --baseline-file|-b:v "
    "--output-file-format:v,lower,enum=excel/json/md/html --output-all --decimal-place-value:v,num -h|--help";

constexpr const char* kGrep =
    "-i|--ignore-case -v|--invert-match -c|--count -E|--extended-regexp -F|--fixed-strings -G|--basic-regexp "
    "-P|--perl-regexp -n|--line-number -w|--word-regexp -x|--line-regexp -o|--only-matching "
    "-l|--files-with-matches -L|--files-without-match -r|--recursive -R|--dereference-recursive -q|--quiet "
    "-s|--no-messages -h|--no-filename -H|--with-filename -e|--regexp:v,ordered -f|--file:v -m|--max-count:v,num "
    "-A|--after-context:v,num -B|--before-context:v,num -C|--context:v,num --color|--colour:o";

}  // namespace

void add_system_tool_grammars(std::vector<ToolGrammar>& out) {
  ToolGrammar mpirun = make_tool({"mpirun"}, Style::kSingleDash, "/usr/bin", kMpirun, {}, true);
  mpirun.equals = false;
  out.push_back(mpirun);
  out.push_back(make_tool({"ib_write_bw", "ib_read_bw", "ib_send_bw", "ib_atomic_bw", "ib_write_lat", "ib_read_lat",
                           "ib_send_lat", "ib_atomic_lat"},
                          Style::kGetopt, "/usr/bin", kPerftest));
  out.push_back(make_tool({"ibstat"}, Style::kGetopt, "/usr/sbin",
                          "-l|--list_of_cas -p|--port_list -s|--short -d|--debug -h|--help -V|--version"));
  out.push_back(make_tool({"ibstatus"}, Style::kGetopt, "/usr/sbin", "-h|--help"));
  out.push_back(make_tool({"ibv_devinfo"}, Style::kGetopt, "/usr/bin",
                          "-d|--ib-dev:v -i|--ib-port:v,num -l|--list -v|--verbose -h|--help"));
  out.push_back(make_tool({"ibv_devices"}, Style::kGetopt, "/usr/bin", "-h|--help"));
  out.push_back(make_tool({"perfquery"}, Style::kGetopt, "/usr/sbin",
                          "-x|--extended -X|--xmtsl -S|--rcvsl -a|--all_ports -l|--loop_ports -r|--reset_after_read "
                          "-R|--Reset_only -C|--Ca:v -P|--Port:v,num -h|--help"));
  out.push_back(make_tool({"iblinkinfo"}, Style::kGetopt, "/usr/sbin",
                          "-S|--GUID:v -D|--Direct:v -l|--line -d|--downstream -u|--upstream -C|--Ca:v -P|--Port:v,num "
                          "-h|--help"));
  out.push_back(make_tool({"ibnetdiscover"}, Style::kGetopt, "/usr/sbin",
                          "-l|--list -g|--grouping -H|--Hca_list -S|--Switch_list -R|--Router_list -p|--ports "
                          "-C|--Ca:v -P|--Port:v,num -h|--help"));
  out.push_back(make_tool({"ibdev2netdev"}, Style::kGetopt, "/usr/bin", "-v"));
  // lspci: -d and -s filter, -n/-v count their repeats (-nn, -vvv).
  out.push_back(make_tool({"lspci"}, Style::kGetopt, "/usr/bin",
                          "-n -v -t -D -k -d:v -s:v -x -b -m -M -A:v -H:v -i:v -p:v -P -q -Q --version"));
  ToolGrammar sb = make_tool({"sb"}, Style::kGetopt, "", kSuperBench,
                             {{"version", ""},
                              {"deploy", ""},
                              {"run", ""},
                              {"exec", ""},
                              {"run-info", ""},
                              {"benchmark list", ""},
                              {"benchmark list-parameters", ""},
                              {"result diagnosis", ""},
                              {"result summary", ""},
                              {"node info", ""}});
  sb.combine = false;
  out.push_back(sb);
  out.push_back(make_tool({"numactl"}, Style::kGetopt, "/usr/bin",
                          "-H|--hardware -s|--show -N|--cpunodebind:v,list,set -m|--membind:v,list,set "
                          "-C|--physcpubind:v -i|--interleave:v -l|--localalloc -p|--preferred:v",
                          {}, true));
  out.push_back(make_tool({"taskset"}, Style::kGetopt, "/usr/bin",
                          "-c|--cpu-list -p|--pid -a|--all-tasks -h|--help -V|--version"));
  out.push_back(make_tool({"watch"}, Style::kGetopt, "/usr/bin",
                          "-n|--interval:v,num -d|--differences:o -t|--no-title -b|--beep -e|--errexit -g|--chgexit "
                          "-c|--color -x|--exec -p|--precise",
                          {}, true));
  out.push_back(make_tool({"free"}, Style::kGetopt, "/usr/bin",
                          "-b|--bytes -k|--kibi -m|--mebi -g|--gibi --tebi --pebi -h|--human --si -l|--lohi "
                          "-t|--total -s|--seconds:v,num -c|--count:v,num -w|--wide -v|--committed"));
  out.push_back(make_tool({"lscpu"}, Style::kGetopt, "/usr/bin",
                          "-a|--all -b|--online -c|--offline -e|--extended:o -p|--parse:o -s|--sysroot:v -x|--hex "
                          "-y|--physical -J|--json -B|--bytes -C|--caches:o"));
  out.push_back(make_tool({"df"}, Style::kGetopt, "/usr/bin",
                          "-h|--human-readable -H|--si -T|--print-type -i|--inodes -a|--all -k -l|--local -t|--type:v "
                          "-x|--exclude-type:v -B|--block-size:v -P|--portability --total --output:o"));
  out.push_back(make_tool({"dmesg"}, Style::kGetopt, "/usr/bin",
                          "-T|--ctime -H|--human -l|--level:v,list,set -f|--facility:v,list,set -w|--follow "
                          "-k|--kernel -x|--decode -c|--read-clear -C|--clear -L|--color:o -t|--notime -r|--raw "
                          "-e|--reltime -S|--syslog"));
  out.push_back(make_tool({"grep", "egrep", "fgrep"}, Style::kGetopt, "/usr/bin", kGrep));
  out.push_back(make_tool({"head"}, Style::kGetopt, "/usr/bin", "-n|--lines:v -c|--bytes:v -q|--quiet -v|--verbose"));
  out.push_back(make_tool({"tail"}, Style::kGetopt, "/usr/bin",
                          "-n|--lines:v -c|--bytes:v -f|--follow:o -q|--quiet -v|--verbose"));
  out.push_back(make_tool({"sort"}, Style::kGetopt, "/usr/bin",
                          "-u|--unique -n|--numeric-sort -r|--reverse -h|--human-numeric-sort -V|--version-sort "
                          "-s|--stable -f|--ignore-case -k|--key:v,ordered -t|--field-separator:v -o|--output:v"));
  out.push_back(make_tool({"wc"}, Style::kGetopt, "/usr/bin",
                          "-l|--lines -w|--words -c|--bytes -m|--chars -L|--max-line-length"));
  out.push_back(make_tool({"tee"}, Style::kGetopt, "/usr/bin", "-a|--append -i|--ignore-interrupts"));
  out.push_back(make_tool({"uname"}, Style::kGetopt, "/usr/bin",
                          "-a|--all -s|--kernel-name -n|--nodename -r|--kernel-release -v|--kernel-version "
                          "-m|--machine -p|--processor -i|--hardware-platform -o|--operating-system"));
  out.push_back(make_tool({"nproc"}, Style::kGetopt, "/usr/bin", "--all --ignore:v,num"));
  out.push_back(make_tool({"cat"}, Style::kGetopt, "/usr/bin",
                          "-n|--number -A|--show-all -b|--number-nonblank -E|--show-ends -s|--squeeze-blank "
                          "-T|--show-tabs -v|--show-nonprinting"));
  out.push_back(make_tool({"lsmod"}, Style::kGetopt, "/usr/sbin", ""));
  ToolGrammar numastat = make_tool({"numastat"}, Style::kGetopt, "/usr/bin", "-p:v -m -n -s:o -v -z -c");
  numastat.combine = false;
  out.push_back(numastat);
  out.push_back(make_tool({"ps"}, Style::kGetopt, "/usr/bin",
                          "-e -A -f -F -l -o:v,ordered -p|--pid:v -u|--user:v -C:v --sort:v -a -x"));
}

}  // namespace aimicius::grammar
