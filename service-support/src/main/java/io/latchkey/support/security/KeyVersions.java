package io.latchkey.support.security;

/**
 * How far a key's own stream in the event log has gone. A change is appended there before its request is answered,
 * while the replica shows it only once the query side's projection has written it: asked after an answer, this
 * already knows the change the replica may not.
 */
@FunctionalInterface
public interface KeyVersions {

    /** The sequence number of the key's newest event, -1 when it has none. */
    long latest(String keyId);
}
