package io.latchkey.query;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.latchkey.api.ApiKeyCreatedEvent;
import io.latchkey.api.ApiKeyScopesChangedEvent;
import io.latchkey.api.ApiKeyUsageRecordedEvent;
import io.latchkey.api.UsageCount;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A key's audit view read page by page from the real embedded store over HTTP, as a compliance export does. */
class HistoryPagingTest extends QuerySideTestSupport {

    private IssuedKey key;
    private long keySequence;
    private long usageSequence;

    /** A key with {@code changes} scope changes and {@code reports} usage reports, appended alternately. */
    private void keyWithHistory(int changes, int reports) {
        key = IssuedKey.issue(UUID.randomUUID().toString());
        keyEvent(new ApiKeyCreatedEvent(key.keyId(), key.developerId(), "audited", key.secretHash(), "lk_test_…page",
                List.of("read"), now(), null, null));
        for (int i = 0; i < Math.max(changes, reports); i++) {
            if (i < reports) {
                report();
            }
            if (i < changes) {
                keyEvent(new ApiKeyScopesChangedEvent(key.keyId(), List.of("scope-" + i), now()));
            }
        }
    }

    private void keyEvent(Object payload) {
        nextMillisecond();
        appendKeyEvent(key.keyId(), keySequence++, payload);
    }

    private void report() {
        nextMillisecond();
        Instant minute = Instant.now().truncatedTo(ChronoUnit.MINUTES);
        append("KeyUsage", ApiKeyUsageRecordedEvent.streamOf(key.keyId()), usageSequence,
                new ApiKeyUsageRecordedEvent(key.keyId(), "edge-a", usageSequence + 1,
                        List.of(new UsageCount(minute, "/", "valid", 1)), minute, now()));
        usageSequence++;
    }

    /**
     * The store keeps an event's time to the millisecond, and the two streams merge by it, a management event first
     * within one millisecond; waiting for the next one makes this test's order the order of its appends.
     */
    private static void nextMillisecond() {
        Instant last = now();
        while (!now().isAfter(last)) {
            Thread.onSpinWait();
        }
    }

    private JsonNode page(String query) {
        Response page = get("/v1/keys/" + key.keyId() + "/history?" + query);
        assertThat(page.status()).as(page.raw()).isEqualTo(200);
        return page.body();
    }

    /** Every page from the start with {@code limit}; returns the last page and adds each event to {@code events}. */
    private JsonNode readAll(String stream, int limit, List<String> events) {
        String after = null;
        JsonNode page;
        do {
            page = page("stream=" + stream + "&limit=" + limit + (after == null ? "" : "&after=" + after));
            page.get("events").forEach(event -> events.add(event.get("stream").asText() + "#"
                    + event.get("sequence").asLong()));
            assertThat(page.get("events").size()).isLessThanOrEqualTo(limit);
            after = page.get("next").asText();
        } while (page.get("more").asBoolean());
        return page;
    }

    @Test
    void pagesFollowEachOtherWithoutGapOrRepeatInEveryStreamChoice() {
        keyWithHistory(7, 9);

        for (String stream : List.of("all", "key", "usage")) {
            List<String> whole = new ArrayList<>();
            readAll(stream, 1_000, whole);
            List<String> paged = new ArrayList<>();
            readAll(stream, 3, paged);

            assertThat(paged).as(stream).containsExactlyElementsOf(whole);
            assertThat(whole).as(stream).hasSize(stream.equals("all") ? 17 : stream.equals("key") ? 8 : 9);
        }
        List<String> all = new ArrayList<>();
        readAll("all", 1_000, all);
        assertThat(all.subList(0, 3)).as("merged by time").containsExactly("key#0", "usage#0", "key#1");
    }

    @Test
    void theDefaultPageIsAHundredEventsAndSaysMoreFollow() {
        keyWithHistory(0, 120);

        JsonNode first = page("");

        assertThat(first.get("events")).hasSize(100);
        assertThat(first.get("more").asBoolean()).isTrue();
        JsonNode second = page("after=" + first.get("next").asText());
        assertThat(second.get("events")).hasSize(21);
        assertThat(second.get("more").asBoolean()).isFalse();
    }

    @Test
    void theLastCursorResumesWithWhatWasAppendedSince() {
        keyWithHistory(2, 2);
        List<String> seen = new ArrayList<>();
        JsonNode last = readAll("all", 2, seen);
        assertThat(last.get("more").asBoolean()).isFalse();
        String resume = last.get("next").asText();
        assertThat(page("after=" + resume).get("events")).isEmpty();

        report();
        keyEvent(new ApiKeyScopesChangedEvent(key.keyId(), List.of("late"), now()));

        JsonNode since = page("after=" + resume);
        List<String> appended = new ArrayList<>();
        since.get("events").forEach(event -> appended.add(event.get("stream").asText() + "#"
                + event.get("sequence").asLong()));
        assertThat(appended).containsExactly("usage#2", "key#3");
        assertThat(page("after=" + resume)).as("a page read again answers the same").isEqualTo(since);
    }

    @Test
    void eventsOfOneMillisecondListTheManagementEventFirst() {
        keyWithHistory(0, 0);
        Instant at = now().plusMillis(5);
        Instant minute = at.truncatedTo(ChronoUnit.MINUTES);
        append("KeyUsage", ApiKeyUsageRecordedEvent.streamOf(key.keyId()), 0,
                new ApiKeyUsageRecordedEvent(key.keyId(), "edge-a", 1, List.of(new UsageCount(minute, "/", "valid", 1)),
                        minute, at), ACTOR, at);
        append("ApiKey", key.keyId(), 1, new ApiKeyScopesChangedEvent(key.keyId(), List.of("tied"), at), ACTOR, at);

        List<String> events = new ArrayList<>();
        readAll("all", 1, events);

        assertThat(events).containsExactly("key#0", "key#1", "usage#0");
    }

    @Test
    void aCursorOfAnotherKeysHistoryIsRefusedNotTakenAsAPosition() {
        keyWithHistory(3, 3);
        String otherKeysCursor = page("limit=4").get("next").asText();
        keySequence = 0;
        usageSequence = 0;
        keyWithHistory(3, 3);

        Response response = get("/v1/keys/" + key.keyId() + "/history?after=" + otherKeysCursor);

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.body().get("type").asText()).endsWith("/invalid-cursor");
        assertThat(page("limit=4").get("events")).hasSize(4);
    }

    @Test
    void aCursorPastTheEndOfAStreamIsRefusedAsNoEarlierPagesCursor() {
        keyWithHistory(2, 2);
        String at = "@" + key.keyId();
        // Key events 0 to 2 and usage events 0 and 1: the last page's cursor is k3u2, and events appended after it
        // come next; a made-up position beyond would skip those appended into the gap.
        for (String madeUp : List.of("all:k4u2" + at, "all:k3u3" + at, "key:k9u0" + at)) {
            String stream = madeUp.substring(0, madeUp.indexOf(':'));
            Response response = get("/v1/keys/" + key.keyId() + "/history?stream=" + stream + "&after="
                    + encoded(madeUp));
            assertThat(response.status()).as(madeUp).isEqualTo(400);
            assertThat(response.body().get("type").asText()).endsWith("/invalid-cursor");
        }
        assertThat(page("after=" + encoded("all:k3u2" + at)).get("events")).isEmpty();
    }

    private static String encoded(String cursor) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(cursor.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void aCursorWrittenBeforeCursorsNamedTheirKeyIsStillRead() {
        keyWithHistory(3, 3);
        String older = Base64.getUrlEncoder().withoutPadding()
                .encodeToString("all:k2u2".getBytes(StandardCharsets.US_ASCII));

        assertThat(page("after=" + older).get("events")).hasSize(3);
    }

    @Test
    void aCursorBelongsToTheStreamChoiceItCameFrom() {
        keyWithHistory(3, 3);
        String keyCursor = page("stream=key&limit=2").get("next").asText();

        assertThat(page("stream=key&after=" + keyCursor).get("events")).hasSize(2);
        for (String other : List.of("all", "usage")) {
            Response response = get("/v1/keys/" + key.keyId() + "/history?stream=" + other + "&after=" + keyCursor);
            assertThat(response.status()).as(other).isEqualTo(400);
            assertThat(response.body().get("type").asText()).endsWith("/invalid-cursor");
        }
    }

    /** Every page from {@code from} on, read with its cursors; each event as stream#sequence. */
    private List<String> readFrom(String stream, Instant from, int limit) {
        JsonNode page = page("stream=" + stream + "&limit=" + limit + "&from=" + from);
        List<String> events = new ArrayList<>();
        while (true) {
            page.get("events").forEach(event -> events.add(event.get("stream").asText() + "#"
                    + event.get("sequence").asLong()));
            if (!page.get("more").asBoolean()) {
                return events;
            }
            page = page("stream=" + stream + "&limit=" + limit + "&after=" + page.get("next").asText());
        }
    }

    @Test
    void fromBeginsTheListingAtTheFirstEventsRecordedThenInEveryStreamChoice() {
        keyWithHistory(7, 9);

        for (String stream : List.of("all", "key", "usage")) {
            List<JsonNode> whole = new ArrayList<>();
            page("stream=" + stream + "&limit=1000").get("events").forEach(whole::add);
            for (int i = 0; i < whole.size(); i++) {
                Instant recorded = Instant.parse(whole.get(i).get("timestamp").asText());
                List<String> expected = whole.subList(i, whole.size()).stream()
                        .map(event -> event.get("stream").asText() + "#" + event.get("sequence").asLong()).toList();

                assertThat(readFrom(stream, recorded, 2)).as(stream + " from event " + i).isEqualTo(expected);
            }
            Instant first = Instant.parse(whole.get(0).get("timestamp").asText());
            assertThat(readFrom(stream, first.minusSeconds(3_600), 1_000)).as(stream + " from before it all")
                    .hasSize(whole.size());
        }
    }

    /**
     * After the last event, also at a time still to come (events are stamped by the command side's clock, which may
     * run ahead of the query side's): an empty page whose cursor resumes with what is appended.
     */
    @Test
    void fromAfterTheLastEventAnswersAnEmptyPageWhoseCursorResumesWithWhatIsAppended() {
        keyWithHistory(2, 2);
        nextMillisecond();

        for (Instant after : List.of(now(), now().plusSeconds(60))) {
            JsonNode empty = page("from=" + after);
            assertThat(empty.get("events")).as("from " + after).isEmpty();
            assertThat(empty.get("more").asBoolean()).isFalse();
            assertThat(page("after=" + empty.get("next").asText()).get("events")).isEmpty();
        }
        String resume = page("from=" + now()).get("next").asText();

        report();
        JsonNode appended = page("after=" + resume);
        assertThat(appended.get("events")).hasSize(1);
        assertThat(appended.get("events").get(0).get("stream").asText()).isEqualTo("usage");
        assertThat(appended.get("events").get(0).get("sequence").asLong()).isEqualTo(2);
    }

    @Test
    void fromIsRefusedWithACursorOrWhenItIsNoInstant() {
        keyWithHistory(1, 1);
        String cursor = page("limit=1").get("next").asText();

        for (String query : List.of("from=" + now() + "&after=" + cursor, "from=yesterday", "from=",
                "from=2026-12-01T00:00:00")) {
            Response response = get("/v1/keys/" + key.keyId() + "/history?" + query);
            assertThat(response.status()).as(query).isEqualTo(400);
            assertThat(response.body().get("type").asText()).as(query)
                    .endsWith(query.contains("after=") ? "/conflicting-parameters" : "/invalid-time");
        }
    }
}
