package io.latchkey.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.latchkey.testing.LoopbackPorts;
import io.latchkey.testing.SettableClock;
import io.latchkey.validator.LogCapture;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The reporter's last report at shutdown, against real loopback peers standing in for the command side. */
class UsageReporterTest {

    private static final String KEY = "7d3f8a2e-0b1c-4d5e-8f90-123456789abc";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final UsageCounter counter = new UsageCounter(Clock.systemUTC());
    private final List<UsageReporter> made = new ArrayList<>();

    /** A real loopback server standing in for the command side's {@code POST /v1/usage}, started. */
    private static HttpServer commandSide(HttpHandler usage) throws IOException {
        HttpServer server = HttpServer.create(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), LoopbackPorts.free()), 0);
        server.createContext("/v1/usage", usage);
        server.start();
        return server;
    }

    private UsageReporter reporter(URI commandSide, Duration shutdownBudget) {
        // A flush interval far beyond the test: only close() reports.
        UsageReporter reporter = new UsageReporter(counter, commandSide, "token", JSON, Duration.ofHours(1),
                shutdownBudget);
        made.add(reporter);
        return reporter;
    }

    /** The reporter counted {@code sends} failed sends, every one under {@code reason}. */
    private static void failedOnlyFor(UsageReporter reporter, String reason, long sends) {
        assertThat(reporter.failures(reason)).as(reason).isEqualTo(sends);
        assertThat(reporter.failures()).as("no failure under another reason").isEqualTo(sends);
    }

    /** Every reporter a test made is closed after it: each has threads of its own. */
    @AfterEach
    void closeReporters() {
        made.forEach(UsageReporter::close);
    }

    @Test
    void shutdownSendsWhatWasCountedSinceTheLastReport() throws IOException {
        List<JsonNode> reports = new CopyOnWriteArrayList<>();
        HttpServer commandSide = commandSide(exchange -> {
            reports.add(JSON.readTree(exchange.getRequestBody()));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        try {
            for (int i = 0; i < 7; i++) {
                counter.record(KEY, "/orders", "valid");
            }
            reporter(URI.create("http://127.0.0.1:" + commandSide.getAddress().getPort()), Duration.ofSeconds(10))
                    .close();
        } finally {
            commandSide.stop(0);
        }

        assertThat(reports).singleElement().satisfies(report ->
                assertThat(report.at("/keys/0/counts/0/count").asLong()).isEqualTo(7));
        assertThat(counter.report(10)).isEmpty();
    }

    @Test
    void keysRefusedInATakenReportAreCountedLoggedWithTheirReasonsAndTheReportIsNotSentAgain() throws IOException {
        List<JsonNode> reports = new CopyOnWriteArrayList<>();
        HttpServer commandSide = commandSide(exchange -> {
            reports.add(JSON.readTree(exchange.getRequestBody()));
            byte[] answer = ("{\"recorded\":0,\"duplicates\":0,\"refused\":1,\"refusedEntries\":[{\"index\":0,"
                    + "\"keyId\":\"" + KEY + "\",\"reason\":\"minute-out-of-range\"}]}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        UsageReporter reporter = reporter(URI.create("http://127.0.0.1:" + commandSide.getAddress().getPort()),
                Duration.ofSeconds(10));
        List<ILoggingEvent> logged;
        try (LogCapture log = LogCapture.of(UsageReporter.class)) {
            logged = log.events();
            counter.record(KEY, "/orders", "valid");
            reporter.close();
        } finally {
            commandSide.stop(0);
        }

        assertThat(reports).hasSize(1);
        assertThat(reporter.refusedKeys()).isEqualTo(1);
        assertThat(logged).map(ILoggingEvent::getFormattedMessage).anySatisfy(line -> assertThat(line)
                .contains("1 keys refused as invalid (entry 0 (key " + KEY + "): minute-out-of-range)"));
        assertThat(reporter.rejected()).as("the report itself was taken").isZero();
        assertThat(counter.report(10)).isEmpty();
    }

    /** Answers every report with {@code status} and a body of {@code contentType}, counting the reports. */
    private static HttpServer refusing(int status, String contentType, List<Long> sequences) throws IOException {
        return commandSide(exchange -> {
            sequences.add(JSON.readTree(exchange.getRequestBody()).get("batchSequence").asLong());
            byte[] body = "{\"status\":400}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", contentType);
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
    }

    @Test
    void aReportTheCommandSideRefusesAsInvalidIsDroppedButAProxysBadRequestIsSentAgain() throws IOException {
        List<Long> sequences = new CopyOnWriteArrayList<>();
        HttpServer proxy = refusing(400, "text/html", sequences);
        UsageReporter reporter = reporter(URI.create("http://127.0.0.1:" + proxy.getAddress().getPort()),
                Duration.ofSeconds(10));
        try {
            counter.record(KEY, "/orders", "valid");
            assertThat(reporter.flush()).as("left pending").isFalse();
            assertThat(reporter.flush()).isFalse();
        } finally {
            proxy.stop(0);
        }
        assertThat(sequences).as("the same report, twice").containsExactly(1L, 1L);
        assertThat(reporter.rejected()).isZero();
        failedOnlyFor(reporter, "status", 2);

        HttpServer commandSide = refusing(422, "application/problem+json", sequences);
        UsageReporter toCommandSide = reporter(URI.create("http://127.0.0.1:" + commandSide.getAddress().getPort()),
                Duration.ofSeconds(10));
        try {
            assertThat(toCommandSide.flush()).as("nothing left pending").isTrue();
        } finally {
            commandSide.stop(0);
        }
        assertThat(toCommandSide.rejected()).isEqualTo(1);
        assertThat(toCommandSide.failures()).as("a refusal, not a failure").isZero();
        assertThat(counter.report(10)).as("its counts dropped").isEmpty();
    }

    /** A proxy in front of the command side: 413 for a report {@code tooLarge} holds, else the report is taken. */
    private static HttpServer proxy(Predicate<JsonNode> tooLarge, Consumer<JsonNode> taken) throws IOException {
        return commandSide(exchange -> {
            JsonNode report = JSON.readTree(exchange.getRequestBody());
            if (tooLarge.test(report)) {
                exchange.sendResponseHeaders(413, -1);
            } else {
                taken.accept(report);
                exchange.sendResponseHeaders(200, -1);
            }
            exchange.close();
        });
    }

    /**
     * A reporter flushed {@code flushes} times through {@code proxy}, which is then stopped: each flush sends one part
     * or report, and after them nothing is left pending.
     */
    private UsageReporter flushedThrough(HttpServer proxy, int flushes) {
        UsageReporter reporter = reporter(URI.create("http://127.0.0.1:" + proxy.getAddress().getPort()),
                Duration.ofSeconds(10));
        try {
            for (int i = 0; i < flushes; i++) {
                reporter.flush();
            }
            assertThat(reporter.flush()).as("nothing pending").isTrue();
        } finally {
            proxy.stop(0);
        }
        return reporter;
    }

    /** Each key's first count of a report taken, added to the key's total in {@code recorded}. */
    private static void recordKeys(JsonNode report, Map<String, Long> recorded) {
        report.get("keys").forEach(key -> recorded.merge(key.get("keyId").asText(), key.at("/counts/0/count").asLong(),
                Long::sum));
    }

    /** A proxy in front of the command side whose body limit lets through reports of at most two keys. */
    @Test
    void aReportTooLargeForAProxyIsSentInPartsAndEveryKeyOnce() throws IOException {
        Map<String, Long> recorded = new TreeMap<>();
        List<Long> taken = new CopyOnWriteArrayList<>();
        HttpServer proxy = proxy(report -> report.get("keys").size() > 2, report -> {
            taken.add(report.get("batchSequence").asLong());
            recordKeys(report, recorded);
        });
        List<String> keys = new ArrayList<>();
        for (int k = 0; k < 5; k++) {
            String keyId = new UUID(7, k).toString();
            keys.add(keyId);
            for (int i = 0; i <= k; i++) {
                counter.record(keyId, "/orders", "valid");
            }
        }
        UsageReporter reporter = flushedThrough(proxy, 20);
        assertThat(counter.report(10)).as("nothing left to report").isEmpty();

        Map<String, Long> counted = new TreeMap<>();
        for (int k = 0; k < keys.size(); k++) {
            counted.put(keys.get(k), k + 1L);
        }
        assertThat(recorded).isEqualTo(counted);
        // Under the report's own sequence: a command side that had recorded it whole skips every part's keys.
        assertThat(taken).as("the parts taken").containsExactly(1L, 1L, 1L);
        assertThat(reporter.rejected()).isZero();
        assertThat(reporter.failures("too-large")).isPositive();
        failedOnlyFor(reporter, "too-large", reporter.failures("too-large"));
    }

    /** The same proxy, for a key whose buckets alone are too many for it: the key's buckets are sent in parts. */
    @Test
    void oneKeyTooLargeForAProxyIsSentInPartsAndEveryBucketOnce() throws IOException {
        Map<String, Long> recorded = new TreeMap<>();
        HttpServer proxy = proxy(report -> report.at("/keys/0/counts").size() > 3, report ->
                report.at("/keys/0/counts").forEach(count -> recorded.merge(count.get("endpoint").asText(),
                        count.get("count").asLong(), Long::sum)));
        Map<String, Long> counted = new TreeMap<>();
        for (int e = 0; e < 10; e++) {
            counter.record(KEY, "/e" + e, "valid");
            counted.put("/e" + e, 1L);
        }
        flushedThrough(proxy, 20);

        assertThat(recorded).isEqualTo(counted);
        assertThat(counter.report(10)).isEmpty();
    }

    @Test
    void shutdownSendsEveryPartOfAReportAProxyRefusesAsTooLarge() throws IOException {
        Map<String, Long> recorded = new TreeMap<>();
        HttpServer proxy = proxy(report -> report.get("keys").size() > 2, report -> recordKeys(report, recorded));
        Map<String, Long> counted = new TreeMap<>();
        for (int k = 0; k < 9; k++) {
            String keyId = new UUID(9, k).toString();
            counter.record(keyId, "/orders", "valid");
            counted.put(keyId, 1L);
        }
        try {
            reporter(URI.create("http://127.0.0.1:" + proxy.getAddress().getPort()), Duration.ofSeconds(10)).close();
        } finally {
            proxy.stop(0);
        }

        assertThat(recorded).isEqualTo(counted);
        assertThat(counter.report(10)).isEmpty();
    }

    /** Two keys too large for the proxy each: the second is made smaller as the first was, not taken for stuck. */
    @Test
    void eachKeyOfAReportIsMadeSmallerOnItsOwn() throws IOException {
        Map<String, Long> recorded = new TreeMap<>();
        HttpServer proxy = proxy(report -> report.get("keys").size() > 1 || report.at("/keys/0/counts").size() > 2,
                report -> report.at("/keys/0/counts").forEach(count -> recorded.merge(
                        report.at("/keys/0/keyId").asText() + count.get("endpoint").asText(),
                        count.get("count").asLong(), Long::sum)));
        Map<String, Long> counted = new TreeMap<>();
        String other = new UUID(5, 5).toString();
        for (int e = 0; e < 4; e++) {
            counter.record(KEY, "/e" + e, "valid");
            counted.put(KEY + "/e" + e, 1L);
        }
        for (int e = 0; e < 8; e++) {
            counter.record(other, "/e" + e, "valid");
            counted.put(other + "/e" + e, 1L);
        }
        flushedThrough(proxy, 30);

        assertThat(recorded).isEqualTo(counted);
    }

    /**
     * A report whose send got no answer may have been recorded: a part of one key a proxy then refuses as too large
     * is never taken again under a new sequence, which would count its buckets twice.
     */
    @Test
    void aPartOfOneKeyThatMayHaveBeenRecordedIsNeverTakenAgainUnderANewSequence() throws IOException {
        List<Long> sequences = new CopyOnWriteArrayList<>();
        HttpServer proxy = commandSide(exchange -> {
            sequences.add(JSON.readTree(exchange.getRequestBody()).get("batchSequence").asLong());
            if (sequences.size() == 1) {
                // The answer lost: the connection closes without one.
                exchange.close();
                return;
            }
            exchange.sendResponseHeaders(413, -1);
            exchange.close();
        });
        for (int e = 0; e < 4; e++) {
            counter.record(KEY, "/e" + e, "valid");
        }
        UsageReporter reporter = reporter(URI.create("http://127.0.0.1:" + proxy.getAddress().getPort()),
                Duration.ofSeconds(10));
        try {
            for (int i = 0; i < 4; i++) {
                assertThat(reporter.flush()).isFalse();
            }
        } finally {
            proxy.stop(0);
        }

        assertThat(sequences).containsOnly(1L).hasSize(4);
        assertThat(counter.report(10)).singleElement().satisfies(key -> assertThat(key.gains()).hasSize(4));
    }

    /** Buckets of one entry (a key and endpoint) go together: a part that cannot shrink is sent again as it is. */
    @Test
    void aPartThatCannotBeMadeSmallerIsSentAgainAsItIsNotUnderEverNewSequences() throws IOException {
        List<Long> sequences = new CopyOnWriteArrayList<>();
        HttpServer proxy = commandSide(exchange -> {
            JsonNode report = JSON.readTree(exchange.getRequestBody());
            sequences.add(report.get("batchSequence").asLong());
            exchange.sendResponseHeaders(report.at("/keys/0/counts").size() > 1 ? 413 : 200, -1);
            exchange.close();
        });
        for (String outcome : List.of("valid", "rate_limited", "revoked")) {
            counter.record(KEY, "/orders", outcome);
        }
        UsageReporter reporter = reporter(URI.create("http://127.0.0.1:" + proxy.getAddress().getPort()),
                Duration.ofSeconds(10));
        try {
            for (int i = 0; i < 6; i++) {
                assertThat(reporter.flush()).isFalse();
            }
        } finally {
            proxy.stop(0);
        }

        assertThat(sequences).as("taken smaller once, then the same part again").containsExactly(1L, 2L, 2L, 2L, 2L,
                2L);
        assertThat(counter.report(10)).singleElement().satisfies(key -> assertThat(key.gains()).hasSize(3));
    }

    /**
     * A flush can wait for the command side as long as its request timeout, half a minute: the next minute's counters
     * are made ahead all the same, not left to the first request of that minute.
     */
    @Test
    void theNextMinuteIsMadeAheadWhileAFlushWaitsForTheCommandSide() throws Exception {
        SettableClock now = new SettableClock(Instant.parse("2030-01-01T10:00:20Z"));
        UsageCounter counted = new UsageCounter(now);
        CountDownLatch asked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        HttpServer hanging = commandSide(exchange -> {
            exchange.getRequestBody().readAllBytes();
            asked.countDown();
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
        });
        counted.record(KEY, "/orders", "valid");
        UsageReporter reporter = new UsageReporter(counted, URI.create("http://127.0.0.1:"
                + hanging.getAddress().getPort()), "token", JSON, Duration.ofMillis(50), Duration.ofSeconds(1));
        try {
            assertThat(asked.await(10, TimeUnit.SECONDS)).as("a flush waiting for the command side").isTrue();
            assertThat(counted.madeAhead()).as("too early in the minute").isEqualTo(-1);
            now.set(Instant.parse("2030-01-01T10:00:45Z"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (counted.madeAhead() == -1 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(counted.madeAhead()).isEqualTo(Instant.parse("2030-01-01T10:01:00Z").getEpochSecond() / 60);
        } finally {
            release.countDown();
            reporter.close();
            hanging.stop(0);
        }
    }

    @Test
    void minutesPileUpNoLongerThanTheHoldWhileTheCommandSideRefusesEveryReport() throws IOException {
        SettableClock now = new SettableClock(Instant.parse("2030-01-01T10:00:00Z"));
        UsageCounter held = new UsageCounter(now);
        HttpServer commandSide = commandSide(exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
        });
        try {
            try (UsageReporter reporter = new UsageReporter(held,
                    URI.create("http://127.0.0.1:" + commandSide.getAddress().getPort()), "token", JSON,
                    Duration.ofHours(1), Duration.ofMillis(100))) {
                for (int minute = 0; minute < 2 * UsageCounter.MAX_HELD_MINUTES; minute++) {
                    held.record(KEY, "/orders", "valid");
                    now.set(now.instant().plusSeconds(60));
                    assertThat(reporter.flush()).isFalse();
                }
            }
            // Each failed send was of the same first report, which the minutes retired since were never in. An hour
            // on, the minutes older than the hold are gone (0 to 30), and the 29 since are held.
            assertThat(held.droppedUnreported()).isEqualTo(UsageCounter.MAX_HELD_MINUTES + 1);
            assertThat(total(held.report(10_000))).isEqualTo(UsageCounter.MAX_HELD_MINUTES - 1);
        } finally {
            commandSide.stop(0);
        }
    }

    @Test
    void aReportResentForAnHourIsGivenUpBeforeItIsSentAgainAndTheNextOneTaken() throws IOException {
        SettableClock now = new SettableClock(Instant.parse("2030-01-01T10:00:20Z"));
        UsageCounter counted = new UsageCounter(now);
        List<JsonNode> sent = new CopyOnWriteArrayList<>();
        HttpServer commandSide = commandSide(exchange -> {
            sent.add(JSON.readTree(exchange.getRequestBody()));
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
        });
        try (UsageReporter reporter = new UsageReporter(counted,
                URI.create("http://127.0.0.1:" + commandSide.getAddress().getPort()), "token", JSON,
                Duration.ofHours(1), Duration.ofMillis(100))) {
            counted.record(KEY, "/orders", "valid");
            assertThat(reporter.flush()).isFalse();
            now.set(now.instant().plus(UsageReporter.MAX_RESEND).minusSeconds(1));
            assertThat(reporter.flush()).isFalse();
            assertThat(reporter.abandoned()).isZero();

            // As an edge waking after a freeze: the report is given up before it is sent again.
            now.set(now.instant().plusSeconds(1));
            assertThat(reporter.flush()).as("nothing new to send").isTrue();
            assertThat(reporter.abandoned()).isEqualTo(1);
            counted.record(KEY, "/orders", "valid");
            assertThat(reporter.flush()).isFalse();
        } finally {
            commandSide.stop(0);
        }
        // Closing sends the second report a few times more.
        assertThat(sent).extracting(report -> report.get("batchSequence").asLong()).startsWith(1L, 1L, 2L)
                .containsOnly(1L, 2L);
        assertThat(sent.get(2).at("/keys/0/counts/0/count").asLong()).as("only the new decision").isEqualTo(1);
        assertThat(sent.get(2).at("/keys/0/counts").size()).isEqualTo(1);
    }

    /** The reporter's lines at WARN and INFO while {@code sends} runs. */
    private static List<ILoggingEvent> logged(Runnable sends) {
        try (LogCapture log = LogCapture.of(UsageReporter.class)) {
            sends.run();
            return log.events();
        }
    }

    @Test
    void anUnreachableCommandSideIsLoggedAtTheFirstFailureThenOnceAMinuteAndWhenReportsGetThroughAgain()
            throws IOException {
        SettableClock now = new SettableClock(Instant.parse("2030-01-01T10:00:20Z"));
        UsageCounter counted = new UsageCounter(now);
        int port = LoopbackPorts.free();
        URI url = URI.create("http://127.0.0.1:" + port);
        HttpServer[] commandSide = new HttpServer[1];
        try (UsageReporter reporter = new UsageReporter(counted, url, "a-usage-token-of-16", JSON,
                Duration.ofHours(1), Duration.ofMillis(100))) {
            counted.record(KEY, "/orders", "valid");
            List<ILoggingEvent> lines = logged(() -> {
                for (int second = 0; second < 70; second++) {
                    assertThat(reporter.flush()).isFalse();
                    now.set(now.instant().plusSeconds(1));
                }
                try {
                    commandSide[0] = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
                            0);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
                commandSide[0].createContext("/v1/usage", exchange -> {
                    exchange.getRequestBody().readAllBytes();
                    exchange.sendResponseHeaders(200, -1);
                    exchange.close();
                });
                commandSide[0].start();
                assertThat(reporter.flush()).isTrue();
            });
            failedOnlyFor(reporter, "unreachable", 70);
            assertThat(lines).filteredOn(line -> line.getLevel() == Level.WARN).hasSize(2).allSatisfy(line ->
                    assertThat(line.getFormattedMessage()).contains("cannot reach the command side at " + url)
                            .contains("ConnectException").contains("latchkey.usage.command-url")
                            .doesNotContain("a-usage-token-of-16"));
            assertThat(lines).filteredOn(line -> line.getLevel() == Level.INFO).singleElement()
                    .extracting(ILoggingEvent::getFormattedMessage).asString()
                    .contains("reach the command side at " + url + "/v1/usage again, after 70 failed sends");
        } finally {
            if (commandSide[0] != null) {
                commandSide[0].stop(0);
            }
        }
    }

    @Test
    void aRefusedTokenIsLoggedAsAWrongUsageTokenNamingTheSettingOnceAMinute() throws IOException {
        SettableClock now = new SettableClock(Instant.parse("2030-01-01T10:00:20Z"));
        for (int status : new int[] {401, 403}) {
            UsageCounter counted = new UsageCounter(now);
            HttpServer commandSide = refusing(status, "application/problem+json", new CopyOnWriteArrayList<>());
            try (UsageReporter reporter = new UsageReporter(counted,
                    URI.create("http://127.0.0.1:" + commandSide.getAddress().getPort()), "a-wrong-token-of-16", JSON,
                    Duration.ofHours(1), Duration.ofMillis(100))) {
                counted.record(KEY, "/orders", "valid");
                List<ILoggingEvent> lines = logged(() -> {
                    for (int second = 0; second < 61; second++) {
                        assertThat(reporter.flush()).isFalse();
                        now.set(now.instant().plusSeconds(1));
                    }
                });
                assertThat(lines).as("status " + status).hasSize(2).allSatisfy(line -> assertThat(line.getLevel())
                        .isEqualTo(Level.WARN)).allSatisfy(line -> assertThat(line.getFormattedMessage())
                        .contains("answered " + status + ": the usage token is wrong or missing")
                        .contains("latchkey.usage.token").contains("LATCHKEY_USAGE_TOKEN")
                        .doesNotContain("a-wrong-token-of-16"));
                failedOnlyFor(reporter, "refused", 61);
            } finally {
                commandSide.stop(0);
            }
        }
    }

    private static long total(List<UsageCounter.KeyReport> report) {
        return report.stream().flatMap(key -> key.gains().values().stream()).mapToLong(Long::longValue).sum();
    }

    @Test
    void anAnswerWhoseBodyStallsIsATimeoutAndHoldsTheReporterNoLongerThanItsDeadline() throws Exception {
        try (StalledPeer stalling = StalledPeer.stallingABody("{\"recorded\":")) {
            counter.record(KEY, "/orders", "valid");
            UsageReporter reporter = reporter(URI.create("http://127.0.0.1:" + stalling.port()),
                    Duration.ofMillis(500));

            // Without a deadline of its own the body is waited for for good (the request's timeout ends at the
            // headers): a guard, not a measure.
            assertTimeoutPreemptively(Duration.ofSeconds(10), reporter::close);
            assertThat(stalling.connections()).isPositive();
            assertThat(reporter.failures("timeout")).isPositive();
            failedOnlyFor(reporter, "timeout", reporter.failures("timeout"));
        }
    }

    @Test
    void shutdownEndsWithinItsBudgetWhileTheCommandSideNeverAnswers() throws Exception {
        try (StalledPeer hanging = new StalledPeer("")) {
            counter.record(KEY, "/orders", "valid");
            UsageReporter reporter = reporter(URI.create("http://127.0.0.1:" + hanging.port()),
                    Duration.ofMillis(500));

            long started = System.nanoTime();
            reporter.close();
            Duration took = Duration.ofNanos(System.nanoTime() - started);

            // Without the budget one attempt alone waits 30 s for an answer.
            assertThat(took).isLessThan(Duration.ofSeconds(10));
            assertThat(hanging.connections()).isPositive();
            assertThat(reporter.failures("timeout")).isPositive();
            failedOnlyFor(reporter, "timeout", reporter.failures("timeout"));
            assertThat(counter.report(10)).as("what could not be sent is still counted").isNotEmpty();
        }
    }
}
