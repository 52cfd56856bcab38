#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# private-apt.sh TYPES SUITE DIR APT-GET-ARGS...
#
# Run apt-get against another Debian suite (sid, trixie-backports) without
# touching the system's sources: a private sources file with this machine's
# Debian URI (from /etc/apt/sources.list.d/debian.sources), private lists and
# archives under DIR. TYPES is "deb" or "deb-src". Used by the kernel build
# of `make check-vm` and by the kexec-tools fetch.
set -eu
[ $# -ge 4 ] || { echo "usage: $0 deb|deb-src SUITE DIR APT-GET-ARGS..." >&2; exit 64; }
types=$1 suite=$2 dir=$3
shift 3
mkdir -p "$dir/lists/partial" "$dir/archives/partial"
src=$dir/$suite-$types.sources
uri=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
[ -n "$uri" ] || uri=http://deb.debian.org/debian
cat >"$src.tmp" <<EOS
Types: $types
URIs: $uri
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
mv "$src.tmp" "$src"
exec apt-get -o Dir::Etc::SourceList="$src" -o Dir::Etc::SourceParts=/dev/null \
	-o Dir::State::Lists="$dir/lists" -o Dir::Cache::Archives="$dir/archives" \
	-o Debug::NoLocking=1 "$@"
