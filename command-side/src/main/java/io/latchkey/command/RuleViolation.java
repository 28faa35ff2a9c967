package io.latchkey.command;

import java.util.Set;

/**
 * A command broke a domain rule. {@code code} is stable and public (it becomes the problem type and travels through
 * Axon Server as the failure's details); the message is ours, never an input value.
 */
public class RuleViolation extends RuntimeException {

    public static final String KEY_REVOKED = "key-revoked";
    public static final String KEY_EXPIRED = "key-expired";
    public static final String EXPIRY_IN_PAST = "expiry-in-past";
    public static final String EXPIRY_TOO_LATE = "expiry-too-late";
    public static final String INVALID_SCOPE = "invalid-scope";
    public static final String GRACE_IN_PAST = "grace-in-past";
    public static final String DEVELOPER_EXISTS = "developer-exists";
    public static final String INVALID_QUOTA = "invalid-quota";
    public static final String INVALID_USAGE = "invalid-usage";

    /** Codes that mean the request itself was wrong; the others conflict with the current state. */
    public static final Set<String> INVALID_INPUT = Set.of(EXPIRY_IN_PAST, EXPIRY_TOO_LATE, INVALID_SCOPE,
            GRACE_IN_PAST, INVALID_QUOTA, INVALID_USAGE);

    private final String code;

    public RuleViolation(String code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
