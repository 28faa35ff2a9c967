/**
 * Measurements, not tests: JMH benchmarks of the validator and a footprint run of the replica. Build with
 * {@code ./mvnw -pl benchmarks -am package -DskipTests}; each class says how to run it and docs/benchmarks.md holds
 * the committed results.
 */
package io.latchkey.bench;
