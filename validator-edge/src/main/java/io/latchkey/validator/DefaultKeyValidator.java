package io.latchkey.validator;

import io.latchkey.api.KeyStatus;
import io.latchkey.api.RateLimit;
import io.latchkey.api.Scope;
import io.latchkey.api.replica.ActiveKeyEntry;
import io.latchkey.api.secret.KeyFormat;
import io.latchkey.api.secret.KeyHasher;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Format check → hash → local lookup → status → expiry → grace → scope, in that order; then, only for a key that
 * passed all of them, the rate limit, and only for one the rate limit admitted, the monthly quota (a key with both is
 * given to {@link RateLimiter#acquireWithQuota}, which a backend holding both answers in one call, and which refuses
 * a request of a quota known to be used up before taking a token). Authentication is
 * settled before the limiter is asked, so nothing the limiter does (or fails to do) can change it.
 */
final class DefaultKeyValidator implements KeyValidator {

    private static final Logger log = LoggerFactory.getLogger(DefaultKeyValidator.class);

    private final KeyReplica replica;
    private final KeyHasher hasher;
    private final long fingerprint;
    /** Set while the command side is known to hash with another pepper than this validator's, and said so. */
    private final AtomicBoolean toldOtherPepper = new AtomicBoolean();
    private final Clock clock;
    private final Duration maxLag;
    private final RateLimiter rateLimiter;
    private final QuotaLimiter quotaLimiter;
    private final CurrencyLog currency;

    DefaultKeyValidator(KeyReplica replica, KeyHasher hasher, Clock clock, Duration maxLag, RateLimiter rateLimiter,
                        QuotaLimiter quotaLimiter) {
        this.replica = replica;
        this.hasher = hasher;
        this.fingerprint = hasher.fingerprint();
        this.clock = clock;
        this.maxLag = maxLag;
        this.rateLimiter = rateLimiter;
        this.quotaLimiter = quotaLimiter;
        this.currency = new CurrencyLog(clock::millis, this::whyNotCurrent, this::state);
    }

    @Override
    public Decision validate(String presentedKey, String requiredScope) {
        Checked checked = check(presentedKey, requiredScope);
        Decision decision = checked.decision();
        ActiveKeyEntry entry = checked.entry();
        if (entry == null) {
            return decision;
        }
        Instant now = Instant.ofEpochMilli(checked.millis());
        boolean asksRateLimit = asksRateLimit(decision, entry.rateLimit());
        if (asksRateLimit && asksQuota(decision, entry.monthlyQuota())) {
            return decision.withLimits(rateLimiter.acquireWithQuota(decision.keyId(), entry.rateLimit(),
                    quotaLimiter, entry.monthlyQuota(), now));
        }
        if (asksRateLimit) {
            decision = decision.withRateLimit(rateLimiter.acquire(decision.keyId(), entry.rateLimit()));
        }
        if (asksQuota(decision, entry.monthlyQuota())) {
            decision = decision.withQuota(quotaLimiter.consume(decision.keyId(), entry.monthlyQuota(), now));
        }
        return decision;
    }

    @Override
    public CompletionStage<Decision> validateAsync(String presentedKey, String requiredScope) {
        Checked checked = check(presentedKey, requiredScope);
        return checked.entry() == null ? CompletableFuture.completedFuture(checked.decision())
                : limited(checked.decision(), checked.entry().rateLimit(), checked.entry().monthlyQuota(),
                        checked.millis());
    }

    @Override
    public Authentication authenticate(String presentedKey, String requiredScope) {
        Checked checked = check(presentedKey, requiredScope);
        return new Authentication(checked.decision(), checked.entry());
    }

    @Override
    public CompletionStage<Decision> limitAsync(Decision decided, RateLimit rateLimit, long monthlyQuota) {
        return limited(decided, rateLimit, monthlyQuota, clock.millis());
    }

    private CompletionStage<Decision> limited(Decision decided, RateLimit rateLimit, long monthlyQuota, long millis) {
        if (asksRateLimit(decided, rateLimit) && asksQuota(decided, monthlyQuota)) {
            return rateLimiter.acquireWithQuotaAsync(decided.keyId(), rateLimit, quotaLimiter, monthlyQuota,
                    Instant.ofEpochMilli(millis)).thenApply(decided::withLimits);
        }
        CompletionStage<Decision> limited = asksRateLimit(decided, rateLimit)
                ? rateLimiter.acquireAsync(decided.keyId(), rateLimit).thenApply(decided::withRateLimit)
                : CompletableFuture.completedFuture(decided);
        return limited.thenCompose(decision -> asksQuota(decision, monthlyQuota)
                ? quotaLimiter.consumeAsync(decision.keyId(), monthlyQuota, Instant.ofEpochMilli(millis))
                        .thenApply(decision::withQuota)
                : CompletableFuture.completedFuture(decision));
    }

    /** Authentication's decision, and the entry it found (null when none), before any limiter is asked. */
    private record Checked(Decision decision, ActiveKeyEntry entry, long millis) {
    }

    private Checked check(String presentedKey, String requiredScope) {
        if (requiredScope != null && Scope.asksNone(requiredScope)) {
            // A scope from a setting left empty would otherwise turn authorization off without a word.
            throw new IllegalArgumentException("a blank required scope: null checks authentication alone");
        }
        Scope required = requiredScope == null ? null : Scope.parse(requiredScope);
        if (presentedKey == null || presentedKey.length() > KeyFormat.MAX_LENGTH) {
            return new Checked(Decision.denied(Decision.Status.MALFORMED), null, 0);
        }
        // One conversion serves the format check and the hash.
        byte[] ascii = presentedKey.getBytes(StandardCharsets.US_ASCII);
        if (!KeyFormat.isWellFormedAscii(ascii)) {
            return new Checked(Decision.denied(Decision.Status.MALFORMED), null, 0);
        }
        ActiveKeyEntry entry = replica.lookup(hasher.hash(ascii));
        if (entry == null) {
            return new Checked(Decision.denied(Decision.Status.NOT_FOUND), null, 0);
        }
        long now = clock.millis();
        Decision.Status status;
        if (entry.status() == KeyStatus.REVOKED) {
            status = Decision.Status.REVOKED;
        } else if (entry.status() == KeyStatus.EXPIRED
                || entry.expiresAt() != null && now >= entry.expiresAt().toEpochMilli()) {
            // Whichever comes first, this clock or the command side's record: a validator whose clock runs slow
            // must not admit a key the fleet has expired.
            status = Decision.Status.EXPIRED;
        } else if (entry.secretValidUntil() != null && now >= entry.secretValidUntil().toEpochMilli()) {
            // A secret replaced by rotation whose grace period is over is as dead as a revoked one, and counted apart:
            // the key it belonged to lives on.
            status = Decision.Status.SUPERSEDED;
        } else if (required != null && !Scope.anyGrants(entry.scopes(), required)) {
            status = Decision.Status.INSUFFICIENT_SCOPE;
        } else {
            status = Decision.Status.VALID;
        }
        return new Checked(new Decision(status, entry.keyId(), entry.developerId(), entry.scopes(),
                entry.expiresAt(), null, null, secretValidUntil(entry)), entry, now);
    }

    /**
     * When a replaced secret stops authenticating: its grace period's end, or the key's expiry when sooner (a renewal
     * may have brought the expiry forward after the rotation set the grace).
     */
    private static Instant secretValidUntil(ActiveKeyEntry entry) {
        Instant graceEnd = entry.secretValidUntil();
        Instant expiry = entry.expiresAt();
        return graceEnd == null || expiry == null || graceEnd.isBefore(expiry) ? graceEnd : expiry;
    }

    private boolean asksRateLimit(Decision decision, RateLimit rateLimit) {
        return decision.allowed() && rateLimiter != null && rateLimit != null;
    }

    /**
     * Whether the quota is asked: after the rate limit admitted the request, so that it counts admitted requests only
     * (for a key with both, {@link RateLimiter#acquireWithQuota} keeps that order, a used-up quota's refusal apart).
     */
    private boolean asksQuota(Decision decision, long monthlyQuota) {
        return decision.allowed() && quotaLimiter != null && monthlyQuota > 0;
    }

    @Override
    public KeyReplica replica() {
        return replica;
    }

    /**
     * Also false while the command side hashes with another pepper: every key would be unknown to this validator. A
     * change from the last call's answer is logged ({@link CurrencyLog}).
     */
    @Override
    public boolean isCurrent() {
        boolean current = replica.isReady() && samePepper() && withinLag();
        currency.found(current);
        return current;
    }

    private boolean withinLag() {
        if (maxLag == null) {
            return true;
        }
        Duration lag = lag();
        return lag != null && lag.compareTo(maxLag) <= 0;
    }

    /** {@link #isCurrent()}'s checks once more, for the log and for health checks. */
    @Override
    public String whyNotCurrent() {
        try {
            if (!replica.isReady()) {
                return "it is incomplete (" + replica.size() + " entries; a member fills its copy as it joins the "
                        + "replica cluster, and again after a split of the cluster heals)";
            }
            if (replica.hashing(fingerprint) == KeyReplica.Hashing.OTHER) {
                return "the installation's command side hashes keys with another pepper (latchkey.pepper)";
            }
            if (withinLag()) {
                return null;
            }
            Duration lag = lag();
            return lag == null ? "no writer (a Latchkey query side) has published how far the event log reached"
                    : "it is " + lag.toMillis() + " ms behind the event log, more than its bound ("
                            + maxLag.toMillis() + " ms: maxLag, latchkey.replica.max-lag in a service): the query "
                            + "sides publish the log's progress as they read it, so they, or the command side that "
                            + "appends to the log, are down, cut off or behind (as while a query side replays the log)";
        } catch (RuntimeException unasked) {
            // As when the replica's member has shut down (Hazelcast's exception): nothing is decided from it again.
            return "its replica could not be asked (" + unasked.getClass().getSimpleName() + ")";
        }
    }

    private String state() {
        Duration lag = lag();
        return replica.size() + " entries, "
                + (lag == null ? "lag unknown" : lag.toMillis() + " ms behind the event log");
    }

    /**
     * True unless the command side published a pepper fingerprint other than this validator's, asked at every call (a
     * read of a field): the installation's pepper may change under a validator that matched it. Says so once, and when
     * the two agree again.
     */
    private boolean samePepper() {
        KeyReplica.Hashing hashing = replica.hashing(fingerprint);
        if (hashing == KeyReplica.Hashing.SAME) {
            if (toldOtherPepper.get() && toldOtherPepper.getAndSet(false)) {
                log.info("This validator and the installation's command side now hash keys with the same pepper");
            }
            return true;
        }
        if (hashing == KeyReplica.Hashing.OTHER && !toldOtherPepper.getAndSet(true)) {
            log.error("This validator hashes keys with another pepper than the installation's command side, so every "
                    + "key would be unknown to it: it decides none from its replica until the two have the same pepper "
                    + "(LATCHKEY_PEPPER, latchkey.pepper)");
        }
        return hashing != KeyReplica.Hashing.OTHER;
    }

    @Override
    public Duration lag() {
        Instant asOf = replica.asOf();
        // A writer's clock slightly ahead of ours is no lag, not a negative one.
        return asOf == null ? null : Duration.ofMillis(Math.max(0, clock.millis() - asOf.toEpochMilli()));
    }
}
