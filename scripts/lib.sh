# Shared helpers for the project's scripts. Source it; do not run it.

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs Debian packages that are missing (apt-get update once per run).
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing Debian packages: ${missing[*]}"
  if [ -z "${MARQUEE_APT_UPDATED:-}" ]; then
    as_root apt-get update -qq
    export MARQUEE_APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The Rust toolchain must already be there (rustup); say so clearly if it is not.
need_cargo() {
  if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo not found: install the Rust toolchain (https://rustup.rs) and run this again" >&2
    exit 1
  fi
}

# Node.js 20.19+ and npm for the web app; Debian's packages when there is none at all.
need_node() {
  if ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm
  fi
}

# Builds the web app into web/dist when its sources or lock file are newer than the build.
build_web() {
  need_node
  if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules ]; then
    echo "==> npm ci (web)"
    (cd web && npm ci --no-audit --no-fund --loglevel=error)
    touch web/node_modules
  fi
  if [ ! -f web/dist/index.html ] || [ -n "$(find web/src web/index.html web/public web/package-lock.json -newer web/dist/index.html -print -quit)" ]; then
    echo "==> building the web app"
    (cd web && npm run build --silent)
  fi
}
