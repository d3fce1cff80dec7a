#!/bin/bash
# A build's work, as the paas user: .slugignore, then bin/detect, bin/compile, bin/release
# (Heroku's buildpack API) on /app. The builder put a copy of each buildpack, owned by the paas
# user, in /tmp/buildpacks/INDEX, where it runs (buildpacks may write an `export` file there,
# which later buildpacks source).
# Results go to /var/lib/paas/out (a host directory): buildpack (the INDEXes used),
# release.yml, Procfile, and `failure` (one line for the user) when the build fails.
# Usage: build-app.sh [--env NAME=VALUE]... (--detect|--use) INDEX=NAME...
set -uo pipefail
BUILD_DIR=/app CACHE_DIR=/cache ENV_DIR=/var/lib/paas/env
OUT=/var/lib/paas/out HERE=/var/lib/paas/builder
WORK=/tmp/buildpacks

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

# .slugignore (Heroku): listed files go before any buildpack runs. One pattern a line, # comments;
# a pattern with a slash is relative to the app root, one without matches at any depth; a
# trailing slash matches directories only. No negation.
if [ -f "$BUILD_DIR/.slugignore" ]; then
  removed=0
  while IFS= read -r pattern || [ -n "$pattern" ]; do
    pattern=${pattern%$'\r'}
    pattern="${pattern#"${pattern%%[![:space:]]*}"}"
    pattern="${pattern%"${pattern##*[![:space:]]}"}"
    case "$pattern" in '' | '#'* | '!'*) continue ;; esac
    type=()
    if [ "${pattern%/}" != "$pattern" ]; then type=(-type d); pattern=${pattern%/}; fi
    [ -n "$pattern" ] || continue
    case "$pattern" in
      */*) match=(-path "$BUILD_DIR/${pattern#/}") ;;
      *) match=(-name "$pattern") ;;
    esac
    while IFS= read -r -d '' path; do
      rm -rf -- "$path" && removed=$((removed + 1))
    done < <(find "$BUILD_DIR" -mindepth 1 "${type[@]}" "${match[@]}" -print0 -prune 2>/dev/null)
  done < "$BUILD_DIR/.slugignore"
  echo "-----> .slugignore: removed $removed path(s)"
fi

selected=()
names=()
labels=()
for arg in "$@"; do
  index=${arg%%=*} label=${arg#*=}
  if name=$("$WORK/$index/bin/detect" "$BUILD_DIR"); then
    name=${name%%$'\n'*}
    selected+=("$index")
    names+=("${name:-$label}")
    labels+=("$label")
    [ "$mode" = detect ] && break
  elif [ "$mode" = use ]; then
    fail "App not compatible with buildpack $label: its bin/detect found nothing to build."
  fi
done
[ ${#selected[@]} -gt 0 ] || fail "No default language could be detected for this app: add a package.json, a requirements.txt, an index.html or a Procfile."
[ ${#selected[@]} -gt 1 ] && echo "-----> Building with ${#selected[@]} buildpacks: $(IFS=' '; echo "${labels[*]}")"

for i in "${!selected[@]}"; do
  index=${selected[$i]}
  name=${names[$i]}
  echo "-----> $name app detected"
  "$WORK/$index/bin/compile" "$BUILD_DIR" "$CACHE_DIR" "$ENV_DIR"
  rc=$?
  [ $rc -eq 0 ] || fail "Failed to compile $name app (bin/compile of ${labels[$i]} exited with status $rc)."
  # The multi-buildpack convention: what a buildpack exports is seen by the ones after it.
  if [ -f "$WORK/$index/export" ]; then
    set +u
    # shellcheck disable=SC1090
    . "$WORK/$index/export" || fail "The export file of buildpack ${labels[$i]} failed."
    set -u
  fi
done

last=${selected[-1]}
if [ -x "$WORK/$last/bin/release" ]; then
  "$WORK/$last/bin/release" "$BUILD_DIR" > "$OUT/release.yml" || fail "bin/release of buildpack ${labels[-1]} failed."
else
  echo '--- {}' > "$OUT/release.yml"
fi
(IFS=,; echo "${selected[*]}") > "$OUT/buildpack"
if [ -f "$BUILD_DIR/Procfile" ]; then cp "$BUILD_DIR/Procfile" "$OUT/Procfile"; fi
mkdir -p "$BUILD_DIR/.paas" && cp "$HERE/entry.sh" "$BUILD_DIR/.paas/entry" && chmod 755 "$BUILD_DIR/.paas/entry" \
  || fail "Could not install the process entry point."
