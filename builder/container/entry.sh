#!/bin/bash
# ENTRYPOINT of paas app images (installed as /app/.paas/entry). Loads the environment the
# buildpacks left in /app/.profile.d/*.sh and /app/.profile, then runs the command:
#   one argument   -> bash -c "$1"   (a Procfile command line: $PORT, pipes, && work)
#   several        -> exec "$@"      (an argv array, no shell)
#   none           -> an interactive bash
export HOME=/app
cd /app || exit 1
for paas_profile in /app/.profile.d/*.sh; do
  if [ -r "$paas_profile" ]; then . "$paas_profile"; fi
done
unset paas_profile
if [ -r /app/.profile ]; then . /app/.profile; fi
case $# in
  0) exec /bin/bash ;;
  1) exec /bin/bash -c "$1" ;;
  *) exec "$@" ;;
esac
