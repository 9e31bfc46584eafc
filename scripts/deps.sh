#!/usr/bin/env bash
# Installs the Debian packages ringsmb needs that are not installed yet.
#   scripts/deps.sh build   what building needs
#   scripts/deps.sh test    plus the interop peers (smbclient, smbtorture,
#                           Samba's smbd)
#   scripts/deps.sh bench   what bench/compare runs (Samba's smbd, smbclient,
#                           smbtorture) and plots with (python3-matplotlib);
#                           linux-perf, for profiling a server during a run,
#                           comes along when the others are installed
#   scripts/deps.sh fuzz    plus clang and its libFuzzer/sanitizer runtimes
#                           (make fuzz-smoke, make fuzz)
set -euo pipefail
what=${1:-build}

build=(g++ cmake ninja-build pkg-config make liburing-dev libssl-dev libfmt-dev
       libcli11-dev libgtest-dev python3)
test=(smbclient samba-testsuite samba python3-impacket iproute2 procps passwd)
bench=(samba smbclient samba-testsuite python3-matplotlib)
fuzz=(clang libclang-rt-14-dev)
# Optional: installed with the others, never on its own, and a failure to
# install it is only reported.
bench_optional=(linux-perf)

want=("${build[@]}")
case "$what" in
  build) ;;
  test) want+=("${test[@]}") ;;
  bench) want+=("${test[@]}" "${bench[@]}") ;;
  fuzz) want+=("${fuzz[@]}") ;;
  *) echo "usage: $0 build|test|bench|fuzz" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [ "$what" = bench ]; then
  for p in "${bench_optional[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" && continue
    $SUDO apt-get install -y -qq --no-install-recommends "$p" >/dev/null 2>&1 ||
      echo "deps: optional $p not installed (bench/compare does not need it)"
  done
fi
# Debian starts smbd/nmbd services when samba is installed; the project only
# ever runs its own instances on loopback ports.
if [ "$what" = test ] || [ "$what" = bench ]; then
  for s in smbd nmbd samba-ad-dc; do $SUDO service "$s" stop >/dev/null 2>&1 || true; done
fi
