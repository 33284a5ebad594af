#!/usr/bin/env bash
# Runs every test (unit, golden parity, CLI) with a JDK 25 found by bin/find-jdk.
# Reference data is read from ../shared (override with -Drefusal4j.shared=DIR).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JAVA_HOME="$("$here/bin/find-jdk")" || exit 3
export JAVA_HOME
cd "$here"
exec mvn -B -ntp verify "$@"
