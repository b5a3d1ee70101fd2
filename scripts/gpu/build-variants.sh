# Sourced by the A/B drivers (ab-kernels.sh, ab-e2e.sh): builds the tree's binaries once per variant
# of AB_VARIANTS ("NAME=DIR ...", default "old=.ab/old"), a variant being a folder of files laid
# over the tree for its build and taken off after it (ab-kernels.sh's header shows how to make one).
# build_variants PATH... builds the binaries at these paths under $B (each path's last part is its
# CMake target), copies each to /tmp/<binary>-NAME, lists the variants that built in BUILT, then
# builds the tree's own again and copies them to /tmp/<binary>-new. Needs B, OUT and t0.
build_variants() {
  local targets=() path variant name dir saved f
  for path in "$@"; do targets+=("$(basename "$path")"); done
  BUILT=()
  local variants=${AB_VARIANTS:-old=.ab/old}
  [[ $variants == none ]] && variants=""
  for variant in $variants; do
    name=${variant%%=*} dir=${variant#*=}
    local files=()
    mapfile -t files < <(cd "$dir" 2>/dev/null && find . -type f | sed 's|^\./||')
    [ ${#files[@]} -gt 0 ] || { echo "no files under $dir (variant $name)"; exit 1; }
    saved=$(mktemp -d)
    for f in "${files[@]}"; do mkdir -p "$saved/$(dirname "$f")"; cp "$f" "$saved/$f"; cp "$dir/$f" "$f"; done
    if cmake --build "$B" --target "${targets[@]}" >> "$OUT/ab-build.log" 2>&1; then
      for path in "$@"; do cp "$B/$path" "/tmp/$(basename "$path")-$name"; done
      BUILT+=("$name")
    else
      echo "variant $name does not build:"; tail -20 "$OUT/ab-build.log"
    fi
    for f in "${files[@]}"; do cp "$saved/$f" "$f"; done
    echo "$name build: $(( $(date +%s) - t0 )) s (${files[*]})"
  done
  cmake --build "$B" --target "${targets[@]}" >> "$OUT/ab-build.log" 2>&1  # the tree's own again
  for path in "$@"; do cp "$B/$path" "/tmp/$(basename "$path")-new"; done
}
