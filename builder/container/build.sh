#!/bin/bash
# A buildpack build, run inside the build container (a build stack container) as the paas user
# (uid 1000, no capabilities, no root step: the builder hands over the source, /tmp/buildpacks
# and the host directories already owned by that user): run build-app.sh with a clean
# environment, then pack /app as the build context of the app image (builder/app-image.ts) into
# /var/lib/paas/slug, which the builder reads once this container has exited.
# Usage: build.sh [--layer DIR]... [--exclude PATH]... ARGS... (ARGS passed on to build-app.sh)
#   --layer DIR     a directory of /app that gets an image layer of its own (in this order)
#   --exclude PATH  a path under /app the image's base already has: left out
set -uo pipefail
exec 2>&1
SLUG=/var/lib/paas/slug
layers=() skip=()
while [ $# -gt 0 ]; do
  case "$1" in
    --layer) layers+=("$2"); shift 2 ;;
    --exclude) skip+=("./$2"); shift 2 ;;
    *) break ;;
  esac
done

# $SLUG/context.tar: layer-N/ for each --layer directory (a real directory with something not
# excluded in it), in order, then app/ (the rest of /app); $SLUG/layers lists those
# directories, one a line. Owners and modes are kept (the image's COPY steps set the owner).
pack_slug() {
  local dir n=0 rest=()
  tar -cf "$SLUG/context.tar" -T /dev/null || return 1
  : > "$SLUG/layers"
  for dir in "${layers[@]}"; do
    [ -d "/app/$dir" ] && [ ! -L "/app/$dir" ] && has_content "$dir" || continue
    pack --transform "s,^\./${dir//./\\.},layer-$n,S" "./$dir" || return 1
    printf '%s\n' "$dir" >> "$SLUG/layers"
    rest+=("./$dir")
    n=$((n + 1))
  done
  pack "${rest[@]/#/--exclude=}" --transform 's,^\.,app,S' .
}
# Appends /app members to the context (symlink targets are not renamed); tar's status 1 means
# files changed while it read them (a process the build left running): not an error.
pack() {
  tar -C /app -rf "$SLUG/context.tar" --anchored "${skip[@]/#/--exclude=}" "$@"
  [ $? -le 1 ]
}
# Whether /app/DIR holds anything not excluded.
has_content() {
  local entry path
  for entry in "/app/$1"/* "/app/$1"/.[!.]* "/app/$1"/..?*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    path=".${entry#/app}"
    [[ " ${skip[*]} " == *" $path "* ]] || return 0
  done
  return 1
}
[ "$(id -u)" != 0 ] || { echo "build.sh must not run as root" > /var/lib/paas/out/failure; exit 90; }
mkdir -p /tmp/paas-home || exit 90
/usr/bin/env -i \
  HOME=/tmp/paas-home USER=paas LOGNAME=paas LANG=C.UTF-8 PATH="$PATH" \
  /bin/bash /var/lib/paas/builder/build-app.sh "$@"
rc=$?
if [ $rc -eq 0 ] && [ -d "$SLUG" ] && ! pack_slug; then
  echo "Could not pack /app for the image." > /var/lib/paas/out/failure
  rc=91
fi
exit $rc
