#!/usr/bin/env bash
# Rebuilds calibration/devils_dictionary_a.txt: entries ABASEMENT … of Ambrose
# Bierce's *The Devil's Dictionary* (1911, public domain), from Debian's
# dict-devil package (1.0-13.1), which packages the Internet Wiretap edition.
set -euo pipefail
tmp=$(mktemp -d)
cd "$tmp"
apt-get download dict-devil >/dev/null 2>&1
dpkg-deb -x dict-devil_*.deb x
zcat x/usr/share/dictd/devil.dict.dz | awk 'NR>=69 && NR<=225'
rm -rf "$tmp"
