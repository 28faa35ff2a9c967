package io.latchkey.support.store;

import com.mongodb.client.MongoDatabase;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.axonframework.eventhandling.Segment;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventhandling.tokenstore.TokenStore;
import org.axonframework.eventhandling.tokenstore.UnableToClaimTokenException;

/**
 * A token store that notices restarts of the embedded store. The store writes what it accepted to disk with the next
 * command's commit or within a second, so a crash of the command side that serves it can take back a query side's
 * last read-model writes and stored tokens; a query side that runs on through a quick restart would go on from the
 * tokens it holds in memory, past the events whose writes were lost. The serving process records a new start id at
 * every start, before it serves ({@link EmbeddedMongoServer#start(java.nio.file.Path, String, int, String)}); a
 * segment whose claim began under another start id fails its next store or claim extension once, so the processor
 * lets it go, claims it again and reads on from the stored token, making the lost writes again (every projection's
 * writes are idempotent). Used with the embedded store only.
 */
final class StoreStartAwareTokenStore implements TokenStore {

    static final String START = "store-start";

    private final TokenStore tokens;
    private final MongoDatabase database;
    /** The start id each claimed segment was claimed under ("" for none), by processor and segment. */
    private final Map<String, String> claimedUnder = new ConcurrentHashMap<>();

    StoreStartAwareTokenStore(TokenStore tokens, MongoDatabase database) {
        this.tokens = tokens;
        this.database = database;
    }

    private String start() {
        return StoreStart.of(database).id();
    }

    private static String key(String processorName, int segment) {
        return processorName + "#" + segment;
    }

    private void requireSameStart(String processorName, int segment) {
        String now = start();
        String before = claimedUnder.put(key(processorName, segment), now);
        if (before != null && !Objects.equals(before, now)) {
            throw new UnableToClaimTokenException("The embedded store restarted since segment " + segment + " of "
                    + processorName + " was claimed: its token is read again from the store");
        }
    }

    @Override
    public void initializeTokenSegments(String processorName, int segmentCount) {
        tokens.initializeTokenSegments(processorName, segmentCount);
    }

    @Override
    public void initializeTokenSegments(String processorName, int segmentCount, TrackingToken initialToken) {
        tokens.initializeTokenSegments(processorName, segmentCount, initialToken);
    }

    @Override
    public void storeToken(TrackingToken token, String processorName, int segment) {
        requireSameStart(processorName, segment);
        tokens.storeToken(token, processorName, segment);
    }

    @Override
    public TrackingToken fetchToken(String processorName, int segment) {
        return claim(processorName, segment, () -> tokens.fetchToken(processorName, segment));
    }

    @Override
    public TrackingToken fetchToken(String processorName, Segment segment) {
        return claim(processorName, segment.getSegmentId(), () -> tokens.fetchToken(processorName, segment));
    }

    /** The start id is read before the claim: read after, it could be a restarted store's, and hide the restart. */
    private TrackingToken claim(String processorName, int segment, Supplier<TrackingToken> fetch) {
        String start = start();
        TrackingToken token = fetch.get();
        claimedUnder.put(key(processorName, segment), start);
        return token;
    }

    @Override
    public void extendClaim(String processorName, int segment) {
        requireSameStart(processorName, segment);
        tokens.extendClaim(processorName, segment);
    }

    @Override
    public void releaseClaim(String processorName, int segment) {
        claimedUnder.remove(key(processorName, segment));
        tokens.releaseClaim(processorName, segment);
    }

    @Override
    public void initializeSegment(TrackingToken token, String processorName, int segment) {
        tokens.initializeSegment(token, processorName, segment);
    }

    @Override
    public void deleteToken(String processorName, int segment) {
        claimedUnder.remove(key(processorName, segment));
        tokens.deleteToken(processorName, segment);
    }

    @Override
    public boolean requiresExplicitSegmentInitialization() {
        return tokens.requiresExplicitSegmentInitialization();
    }

    @Override
    public int[] fetchSegments(String processorName) {
        return tokens.fetchSegments(processorName);
    }

    @Override
    public List<Segment> fetchAvailableSegments(String processorName) {
        return tokens.fetchAvailableSegments(processorName);
    }

    @Override
    public Optional<String> retrieveStorageIdentifier() {
        return tokens.retrieveStorageIdentifier();
    }
}
