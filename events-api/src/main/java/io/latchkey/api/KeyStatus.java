package io.latchkey.api;

/** Lifecycle state of a key as projections and the replica see it. */
public enum KeyStatus {
    ACTIVE, REVOKED, EXPIRED
}
