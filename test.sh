#!/usr/bin/env bash
# Runs every test with a JDK 25 found by bin/find-jdk: the unit tests (golden parity, CLI, end to
# end), then the acceptance suite (*AcceptanceTest: gates on the bundled model's quality) in its own
# block, then the Spark module's tests (refusal4j-spark: run --spark local[2] against one process);
# reactor.xml builds both. Arguments go to Maven: -Dtest=NAME picks unit tests, -Dit.test=NAME
# acceptance tests, -DskipITs skips the acceptance suite, -pl . builds and tests the core alone.
# Reference data is read from ../shared (override with -Drefusal4j.shared=DIR).
# Maven: the mvn on PATH, else ./mvnw (bin/maven).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JAVA_HOME="$("$here/bin/find-jdk")" || exit 3
export JAVA_HOME
cd "$here"
exec bin/maven -B -ntp -f reactor.xml verify "$@"
