# Each phase's time, for scripts/test.sh, scripts/dist.sh and .ci/run
# (sourced). `phase NAME` ends a phase: the time since the last one ended is
# NAME's; `phases` prints them all and the total on one line.
phase_list=()
phase_started=$SECONDS
phases_started=$SECONDS
phase() { phase_list+=("$1 $((SECONDS - phase_started)) s"); phase_started=$SECONDS; }
phases() {
  local joined
  joined="$(printf '%s, ' "${phase_list[@]}")"
  printf '%stotal %d s\n' "$joined" "$((SECONDS - phases_started))"
}
