#!/bin/bash
# Unprivileged half of a build: bin/detect, bin/compile, bin/release (Heroku's buildpack API)
# on /app. Results go to /var/lib/paas/out (a host directory): buildpack, release.yml,
# Procfile, and `failure` (one line for the user) when the build fails.
# Usage: build-app.sh [--env NAME=VALUE]... (--detect|--use) BUILDPACK...
set -uo pipefail
BUILD_DIR=/app CACHE_DIR=/cache ENV_DIR=/var/lib/paas/env
BUILDPACKS=/var/lib/paas/buildpacks OUT=/var/lib/paas/out HERE=/var/lib/paas/builder

fail() {
  printf '%s\n' "$1" > "$OUT/failure"
  exit 1
}

mode=
while [ $# -gt 0 ]; do
  case "$1" in
    --env) export "$2"; shift 2 ;;
    --detect | --use) mode=${1#--}; shift; break ;;
    *) fail "build-app.sh: unexpected argument $1" ;;
  esac
done

selected=()
names=()
for bp in "$@"; do
  if name=$("$BUILDPACKS/$bp/bin/detect" "$BUILD_DIR"); then
    name=${name%%$'\n'*}
    selected+=("$bp")
    names+=("${name:-$bp}")
    [ "$mode" = detect ] && break
  elif [ "$mode" = use ]; then
    fail "App not compatible with buildpack $bp: its bin/detect found nothing to build."
  fi
done
[ ${#selected[@]} -gt 0 ] || fail "No default language could be detected for this app: add a package.json or a Procfile."

for i in "${!selected[@]}"; do
  bp=${selected[$i]}
  name=${names[$i]}
  echo "-----> $name app detected"
  "$BUILDPACKS/$bp/bin/compile" "$BUILD_DIR" "$CACHE_DIR" "$ENV_DIR"
  rc=$?
  [ $rc -eq 0 ] || fail "Failed to compile $name app (bin/compile exited with status $rc)."
done

last=${selected[-1]}
"$BUILDPACKS/$last/bin/release" "$BUILD_DIR" > "$OUT/release.yml" || fail "bin/release of buildpack $last failed."
(IFS=,; echo "${selected[*]}") > "$OUT/buildpack"
if [ -f "$BUILD_DIR/Procfile" ]; then cp "$BUILD_DIR/Procfile" "$OUT/Procfile"; fi
mkdir -p "$BUILD_DIR/.paas" && cp "$HERE/entry.sh" "$BUILD_DIR/.paas/entry" && chmod 755 "$BUILD_DIR/.paas/entry" \
  || fail "Could not install the process entry point."
