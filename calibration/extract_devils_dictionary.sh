#!/usr/bin/env bash
# Rebuilds the Devil's Dictionary texts of calibration/ from Debian's
# dict-devil package (1.0-13.1), which packages the Internet Wiretap edition
# of Ambrose Bierce's *The Devil's Dictionary* (1911, public domain):
#   devils_dictionary_a.txt  every entry of letter A, ABASEMENT … AVERNUS (calibration)
#   devils_dictionary_b.txt  every entry of letter B, BAAL … BRUTE (evaluation)
# Run from the repository root.
set -euo pipefail
out=$(pwd)/calibration
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
apt-get download dict-devil >/dev/null 2>&1
dpkg-deb -x dict-devil_*.deb x
zcat x/usr/share/dictd/devil.dict.dz > devil.txt
awk 'NR>=69 && NR<=548' devil.txt > "$out/devils_dictionary_a.txt"
awk 'NR>=550 && NR<=853' devil.txt > "$out/devils_dictionary_b.txt"
