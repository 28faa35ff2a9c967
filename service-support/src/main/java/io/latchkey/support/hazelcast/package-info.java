/**
 * The services' own use of the replica cluster beyond the replica: here, telling the readers of the embedded event
 * store that events were appended, so that they need not poll it often.
 */
package io.latchkey.support.hazelcast;
