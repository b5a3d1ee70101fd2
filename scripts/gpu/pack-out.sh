# shellcheck shell=bash
# Sourced by the device-side drivers (prologue.sh, run-prebuilt.sh): the device tool brings back at
# most 8 files from $OUT, so at exit the loose files go into one archive (results-TIME.tgz; archives
# of earlier scripts in the same call are kept as they are). A command that reads $OUT after a
# driver script must unpack it first. Needs OUT.
pack_out() {
  local loose
  loose=$(find "$OUT" -type f ! -name '*.tgz' | wc -l)
  if (( loose > 0 )); then
    # Written beside $OUT, then moved in: tar reading a folder it writes into warns "file changed".
    local tmp
    tmp=$(mktemp /tmp/results-XXXXXX.tgz)
    tar czf "$tmp" -C "$OUT" --exclude='*.tgz' . && find "$OUT" -mindepth 1 ! -name '*.tgz' -delete &&
      mv "$tmp" "$OUT/results-$(date +%s%N).tgz"
  fi
}
trap pack_out EXIT
