package io.latchkey.validator;

/**
 * Counts the answers given on a validator's decisions as usage of the keys, as an edge counts its own: the servlet
 * filter records every request it answers into one. {@code io.latchkey.edge.UsageReporting} reports what it counts to
 * the installation's usage read model. Called on the request's thread: it must not block.
 */
@FunctionalInterface
public interface UsageRecorder {

    /**
     * @param keyId      the key the answer was about; null when no key matched
     * @param outcome    the decision as {@link Decision#usageOutcome} names it, or the refusal made before
     *                   any decision ({@code key_in_query}, {@code ambiguous_credentials}, …); the command side
     *                   records any other of that form (lower-case letters and {@code _}) as {@code other}
     * @param requestUri the request's path, and query if any, as received; null when unknown, or when it holds a key
     */
    void record(String keyId, String outcome, String requestUri);

    /** Counts a decision made for a request to {@code requestUri}. */
    default void record(Decision decision, String requestUri) {
        record(decision.keyId(), decision.usageOutcome(), requestUri);
    }
}
