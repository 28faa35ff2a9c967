package io.latchkey.validator;

/**
 * The replica can no longer be read: its member has shut down. From then on {@link KeyValidator#canDecide} is false,
 * so this reaches only a request that asked in between; answer it as one that cannot be decided (503).
 */
public final class ReplicaUnavailableException extends IllegalStateException {

    public ReplicaUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
