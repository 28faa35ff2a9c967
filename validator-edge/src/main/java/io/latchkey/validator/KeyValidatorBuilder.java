package io.latchkey.validator;

import io.latchkey.api.secret.KeyHasher;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/** Builds a {@link KeyValidator}. Only the replica is required. */
public final class KeyValidatorBuilder {

    /** The lag bound a validator has unless told otherwise; the Spring auto-configuration's default too. */
    public static final Duration DEFAULT_MAX_LAG = Duration.ofSeconds(10);

    private KeyReplica replica;
    private KeyHasher hasher = KeyHasher.sha256();
    private Clock clock = Clock.systemUTC();
    private Duration maxLag = DEFAULT_MAX_LAG;
    private RateLimiter rateLimiter;
    private QuotaLimiter quotaLimiter;

    KeyValidatorBuilder() {
    }

    /** Where entries are looked up. */
    public KeyValidatorBuilder replica(KeyReplica replica) {
        this.replica = Objects.requireNonNull(replica, "replica");
        return this;
    }

    /** Must match the hasher the command side stores hashes with (default: SHA-256, no pepper). */
    public KeyValidatorBuilder hasher(KeyHasher hasher) {
        this.hasher = Objects.requireNonNull(hasher, "hasher");
        return this;
    }

    /**
     * The clock that expiry, rotation grace periods, the replica's lag ({@link #maxLag}) and a quota's month are
     * read from (default: system UTC). A clock held still would also hold the lag still: a member cut off from the
     * writers would go on counting as current.
     */
    public KeyValidatorBuilder clock(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        return this;
    }

    /**
     * How far behind the event log the replica may fall before {@link KeyValidator#isCurrent()} turns false
     * (default: {@link #DEFAULT_MAX_LAG}). A bounded validator with no writer confirmation at all is not current.
     * Null leaves it unbounded, so that only completeness counts: right only for a replica that cannot fall behind,
     * since a member cut off from the writers would otherwise go on admitting the keys revoked since.
     */
    public KeyValidatorBuilder maxLag(Duration maxLag) {
        if (maxLag != null && (maxLag.isNegative() || maxLag.isZero())) {
            throw new IllegalArgumentException("maxLag must be positive");
        }
        this.maxLag = maxLag;
        return this;
    }

    /**
     * Applies each key's rate limit (the one its replica entry carries) to keys that are otherwise allowed
     * (default and null: none, no key is ever rate limited).
     */
    public KeyValidatorBuilder rateLimiter(RateLimiter rateLimiter) {
        this.rateLimiter = rateLimiter;
        return this;
    }

    /**
     * Counts each key's admitted requests against its monthly quota (the one its replica entry carries) (default
     * and null: none, quotas are not enforced).
     */
    public KeyValidatorBuilder quotaLimiter(QuotaLimiter quotaLimiter) {
        this.quotaLimiter = quotaLimiter;
        return this;
    }

    public KeyValidator build() {
        if (replica == null) {
            throw new IllegalStateException("a replica is required");
        }
        return new DefaultKeyValidator(replica, hasher, clock, maxLag, rateLimiter, quotaLimiter);
    }
}
