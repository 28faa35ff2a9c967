/**
 * Storage adapters chosen by configuration. With {@code axon.axonserver.enabled=false} (the embedded default) events
 * live in Axon's Mongo storage engine on a MongoDB-wire store that one process (the command side) serves from
 * {@code LATCHKEY_DATA_DIR}; otherwise Axon Server holds the events. Tracking tokens and read models use MongoDB in
 * both modes. An embedded store commits to disk before a command is acknowledged, and numbers its events in the order
 * they are appended; tracking processors read them by that number.
 */
package io.latchkey.support.store;
