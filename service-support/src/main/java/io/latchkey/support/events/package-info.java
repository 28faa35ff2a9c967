/**
 * Reading parts of the event log that Axon's event store reads only whole: {@link io.latchkey.support.events.EventWindows},
 * with one implementation per backend (the embedded store's in {@code store}, Axon Server's in {@code axonserver}).
 */
package io.latchkey.support.events;
