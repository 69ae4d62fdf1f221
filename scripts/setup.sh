# Sourced by scripts/test and .ci/run: makes a fresh Debian machine with a
# Rust toolchain ready for carecast's tests. Idempotent; installs only what
# is missing:
# - cargo on PATH (rustup's ~/.cargo/bin), rustfmt and clippy if rustup can
#   fetch them;
# - Debian packages: fonts-dejavu-core (English charts), fonts-noto-cjk
#   (Chinese charts), chromium (the test that renders the report page);
# - checks ../shared/data (the validation tests read the UN WPP 2019 files
#   and the textbook case there).

if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "cargo not found: carecast needs a Rust stable toolchain (https://rustup.rs)" >&2
    exit 1
  fi
fi
# rustfmt and clippy come with rustup's default profile; add them if missing
# (a machine that cannot fetch them still runs the tests).
if command -v rustup >/dev/null 2>&1; then
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt || true
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy || true
fi

need=()
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || need+=(fonts-noto-cjk)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing Debian packages the tests need: ${need[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      SUDO="sudo"
    else
      echo "missing ${need[*]}: run as root: apt-get install ${need[*]}" >&2
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

if [ ! -d ../shared/data/wpp2019 ] || [ ! -d ../shared/data/preston-sweden-1993 ]; then
  echo "../shared/data is missing: the validation tests need ../shared/data/wpp2019 and preston-sweden-1993 beside the checkout" >&2
  exit 1
fi
cargo --version
