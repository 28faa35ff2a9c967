/**
 * Reading the event log: windows of it that Axon's event store reads only whole
 * ({@link io.latchkey.support.events.EventWindows}, one implementation per backend: the embedded store's in
 * {@code store}, Axon Server's in {@code axonserver}), and the upcasters every service reads events through.
 */
package io.latchkey.support.events;
