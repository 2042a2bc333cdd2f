#!/usr/bin/env bash
# Build MV Studio for Linux with PyInstaller (packaging/mvstudio.spec); smoke-test the frozen app.
#
#   packaging/build_linux.sh [OUT]     OUT defaults to a new temporary folder
#
# The Python that runs PyInstaller is $PYTHON (default: .venv/bin/python, else python3); it needs
# the project installed with the build extra:  pip install -e ".[package]".
# Produces OUT/dist/mvstudio/ (the app folder, with share/ holding the .desktop file, AppStream
# metainfo and icons), then runs the frozen app offscreen with its own empty user folders:
# `mvstudio --version`, `mvstudio doctor` and `mvstudio smoke` (start the window, make the demo
# project, render a short preview, reopen it, export every format).  Fails (exit 1) if any of
# them fails or the logs show an import error or a missing Qt plugin.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV_PYTHON="$ROOT/.venv/bin/python"
PYTHON=${PYTHON:-$([ -x "$VENV_PYTHON" ] && echo "$VENV_PYTHON" || echo python3)}
OUT=${1:-$(mktemp -d -t mvstudio-build-XXXXXX)}
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
APP="$OUT/dist/mvstudio"
APP_ID=org.mvstudio.MVStudio

began=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$OUT/dist" --workpath "$OUT/build" "$ROOT/packaging/mvstudio.spec"
built=$(date +%s)

share="$APP/share"
install -Dm644 "$ROOT/packaging/linux/$APP_ID.desktop" "$share/applications/$APP_ID.desktop"
install -Dm644 "$ROOT/packaging/linux/$APP_ID.metainfo.xml" "$share/metainfo/$APP_ID.metainfo.xml"
install -Dm644 "$ROOT/resources/icons/mvstudio.svg" "$share/icons/hicolor/scalable/apps/$APP_ID.svg"
for size in 16 24 32 48 64 128 256 512; do
  install -Dm644 "$ROOT/resources/icons/mvstudio-$size.png" \
    "$share/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
done
echo "built $APP in $((built - began)) s ($(du -sh "$APP" | cut -f1))"

# The frozen app alone: no virtual environment, no checkout, fresh user folders.
SMOKE="$OUT/smoke"
rm -rf "$SMOKE" && mkdir -p "$SMOKE/home"
frozen() {
  (cd "$SMOKE" && env -i HOME="$SMOKE/home" PATH=/usr/bin:/bin LANG=C.UTF-8 \
    QT_QPA_PLATFORM=offscreen MVSTUDIO_KEYRING="${keyring:-none}" \
    MVSTUDIO_CONFIG_DIR="$SMOKE/home/config" \
    MVSTUDIO_CACHE_DIR="$SMOKE/home/cache" MVSTUDIO_DATA_DIR="$SMOKE/home/data" \
    "$APP/mvstudio" "$@")
}
status=0
frozen --version >"$SMOKE/version.log" 2>&1 || status=1
keyring=system frozen doctor >"$SMOKE/doctor.log" 2>&1 || status=1  # keyring discovery too
frozen smoke --out "$SMOKE/run" >"$SMOKE/smoke-console.log" 2>&1 || status=1
cat "$SMOKE/version.log" "$SMOKE/doctor.log"
grep -E "PASS|FAIL|smoke test" "$SMOKE/run/smoke.log" || true
bad='ImportError|ModuleNotFoundError|No module named|Traceback'
bad="$bad|Could not (find|load) the Qt platform plugin|No QtMultimedia backends"
if grep -hE "$bad" "$SMOKE"/*.log "$SMOKE/run/smoke.log"; then
  echo "the logs above show an import error or a missing plugin" >&2
  status=1
fi
finished=$(date +%s)
if [ "$status" = 0 ]; then
  echo "smoke test passed in $((finished - built)) s; logs in $SMOKE"
else
  echo "smoke test FAILED; logs in $SMOKE" >&2
fi
exit "$status"
