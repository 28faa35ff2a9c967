/**
 * What the distributed mode needs of Axon Server beyond Axon's own use of it: reading a bounded window of one
 * aggregate's events, which the history pages use. Active only with {@code axon.axonserver.enabled=true}.
 */
package io.latchkey.support.axonserver;
