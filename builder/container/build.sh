#!/bin/bash
# Root half of a build, run inside the build container (a stack image container):
# hand the source and the cache to the paas user, run build-app.sh as that user, then empty
# /tmp so nothing of the build but /app ends up in the committed image.
# Usage: build.sh ARGS... (passed on to build-app.sh)
set -uo pipefail
exec 2>&1
# Only what is not the paas user's yet: a chown, even a no-op, would copy a file of the
# image's lower layers (e.g. a preinstalled runtime) up into the new layer.
find /app /cache /var/lib/paas/out -xdev \( ! -uid 1000 -o ! -gid 1000 \) -exec chown -h 1000:1000 {} + || exit 90
mkdir -p /tmp/paas-home && chown 1000:1000 /tmp/paas-home || exit 90
# Writable copies of the buildpacks (mounted read-only, possibly unreadable by the paas user):
# buildpacks may write into their own directory (an `export` file for the ones after them).
cp -R /var/lib/paas/buildpacks /tmp/buildpacks && chown -R 1000:1000 /tmp/buildpacks && chmod -R u+rwX /tmp/buildpacks || exit 90
setpriv --reuid=1000 --regid=1000 --clear-groups -- /usr/bin/env -i \
  HOME=/tmp/paas-home USER=paas LOGNAME=paas LANG=C.UTF-8 PATH="$PATH" \
  /bin/bash /var/lib/paas/builder/build-app.sh "$@"
rc=$?
rm -rf /tmp/* /tmp/.[!.]* 2>/dev/null
exit $rc
