# Shared by scripts/run and scripts/test: install what a fresh Debian/Ubuntu
# machine lacks. Every step is a no-op when the tool is already there.

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "==> installing ${missing[*]}"
    if [ "$apt_updated" -eq 0 ]; then
        as_root apt-get update -qq
        apt_updated=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
}

ensure_rust() {
    if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
        export PATH="$HOME/.cargo/bin:$PATH"
    fi
    if ! command -v cargo >/dev/null 2>&1; then
        echo "==> installing the Rust toolchain (rustup)"
        apt_install curl ca-certificates
        curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
        export PATH="$HOME/.cargo/bin:$PATH"
    fi
    if command -v rustup >/dev/null 2>&1; then
        rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
    fi
}

ensure_build_tools() {
    apt_install build-essential pkg-config
}

# What the Tauri app needs to build and to show Japanese text.
ensure_tauri_deps() {
    apt_install libwebkit2gtk-4.1-dev libxdo-dev libssl-dev librsvg2-dev \
        libayatana-appindicator3-dev fonts-noto-cjk
}

# What the end-to-end tests need: a virtual display and WebDriver.
ensure_e2e_deps() {
    apt_install xvfb xauth webkit2gtk-driver imagemagick
    if ! command -v tauri-driver >/dev/null 2>&1; then
        echo "==> installing tauri-driver"
        cargo install tauri-driver --locked --version '^2'
    fi
}

# The head office's tests: a real PostgreSQL (pg_virtualenv from
# postgresql-common makes a throw-away cluster, as root too), a real
# browser for its web view, and Debian's nginx as its proxy (the test runs
# its own nginx on free ports; the package's own service is not needed).
ensure_hq_deps() {
    apt_install postgresql postgresql-common chromium chromium-driver nginx
}

# The head office's package and its check: dpkg-dev (dpkg-shlibdeps),
# systemd (systemd-analyze verify and security, no PID 1 needed), curl, and
# strace (what the binary does, against its unit's sandbox).
ensure_package_hq_deps() {
    apt_install dpkg-dev systemd curl strace
}
