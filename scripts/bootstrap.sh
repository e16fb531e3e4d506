#!/usr/bin/env bash
# Installs everything Wrenn needs on a fresh Debian 12 machine, idempotently:
# Debian packages, npm packages, the codegen plugins (Go, Python), Schemathesis and the envd
# bundle. Safe to run again: each step is skipped when already satisfied.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*" >&2; }

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

# Debian packages: runtime (bubblewrap for the namespace runtime, iproute2),
# test servers (postgresql, redis-server), protoc for plugin builds, and the
# microVM runtime and its guest image build (QEMU, debootstrap, busybox). gcc and
# libc6-dev for envd's static wrenn-pty helper. chromium for the browser tests (driven by playwright-core).
# openssl makes the local CA of a TLS stack; libnss-myhostname resolves every `*.localhost` name to
# loopback (the E2B_DOMAIN form: api.<domain>, 49983-<id>.<domain>), which plain glibc does not.
debs=(bubblewrap iproute2 postgresql redis-server protobuf-compiler ca-certificates gcc libc6-dev
  qemu-system-x86 qemu-utils debootstrap busybox-static e2fsprogs cpio util-linux nftables
  chromium openssl libnss-myhostname)
missing=()
for pkg in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The package's own setup may leave nsswitch.conf alone (an edited file): myhostname goes right
# after "files", before "dns", so `*.localhost` never waits on a DNS server.
if ! grep -Eq '^hosts:.*[[:space:]]myhostname([[:space:]]|$)' /etc/nsswitch.conf; then
  log "adding myhostname to the hosts line of /etc/nsswitch.conf"
  "${sudo_cmd[@]}" sed -i -E 's/^(hosts:[[:space:]]+files)([[:space:]]|$)/\1 myhostname\2/' /etc/nsswitch.conf
  grep -Eq '^hosts:.*[[:space:]]myhostname([[:space:]]|$)' /etc/nsswitch.conf \
    || "${sudo_cmd[@]}" sed -i -E 's/^(hosts:.*)$/\1 myhostname/' /etc/nsswitch.conf
fi

# npm packages, exactly as locked.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages"
  # Only `npm ci`: it installs the lock file as committed and never rewrites
  # it. The lock lists every platform's optional @bufbuild/buf-* entry, so
  # it passes on any machine; if it fails, the lock file needs fixing.
  npm ci --no-audit --no-fund --loglevel=error
fi

bash scripts/install-codegen.sh

# Schemathesis for the fuzz stage (scripts/fuzz.sh), pinned, in a virtualenv of
# its own so its dependencies stay apart from the codegen and client ones.
schemathesis_version=4.32.5
if ! .venv-fuzz/bin/schemathesis --version 2>/dev/null | grep -q "version $schemathesis_version\$"; then
  log "installing schemathesis $schemathesis_version"
  [ -x .venv-fuzz/bin/python ] || python3 -m venv .venv-fuzz
  .venv-fuzz/bin/pip install -q --disable-pip-version-check "schemathesis==$schemathesis_version"
fi

log "building the envd bundle"
npm run --silent build -w @wrenn/envd >/dev/null
log "ready"
