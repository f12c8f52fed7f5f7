# Sourced by the emulated-link benches (contention.sh, fast_link.sh): makes
# the work directory D (removed at exit) with store/, a master key ($D/key),
# a token file ($D/tokens, token "benchtoken") and $D/src.bin of $1 MiB of
# random bytes, using the haul binary $HAUL.
make_link_workdir() {
  D=$(mktemp -d)
  trap 'rm -rf "$D"' EXIT
  mkdir -p "$D/store"
  "$HAUL" keygen > "$D/key"
  echo benchtoken > "$D/tokens"
  head -c $(($1 << 20)) /dev/urandom > "$D/src.bin"
}
