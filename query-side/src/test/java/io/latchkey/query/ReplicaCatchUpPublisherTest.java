package io.latchkey.query;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import org.axonframework.eventhandling.GlobalSequenceTrackingToken;
import org.axonframework.eventhandling.Segment;
import org.axonframework.eventhandling.TrackerStatus;
import org.junit.jupiter.api.Test;

/** On Axon's own segment statuses, as its tracking processor reports them, and on the publisher's notes. */
class ReplicaCatchUpPublisherTest {

    private static final TrackerStatus[] SEGMENTS = TrackerStatus.split(Segment.ROOT_SEGMENT,
            new GlobalSequenceTrackingToken(41));

    @Test
    void appliedIsWhereTheSlowestSegmentIsOnceEveryOneHasCaughtUp() {
        TrackerStatus behind = SEGMENTS[1].advancedTo(new GlobalSequenceTrackingToken(39)).caughtUp();

        assertThat(ReplicaCatchUpPublisher.applied(List.of(SEGMENTS[0].caughtUp(), behind)))
                .isEqualTo(OptionalLong.of(39));
        assertThat(ReplicaCatchUpPublisher.applied(List.of(SEGMENTS[0].caughtUp(), SEGMENTS[1]))).isEmpty();
        assertThat(ReplicaCatchUpPublisher.applied(List.of())).isEmpty();
    }

    private static final Instant T = Instant.parse("2026-12-05T00:00:00Z");

    @Test
    void theTimePublishedIsTheLatestNoteWhoseHeadTheProjectionHasReached() {
        ReplicaCatchUpPublisher.Notes notes = new ReplicaCatchUpPublisher.Notes();
        notes.note(T, 10);
        notes.note(T.plusMillis(200), 20);
        notes.note(T.plusMillis(400), 30);

        assertThat(notes.reached(OptionalLong.of(25))).isEqualTo(T.plusMillis(200));
        assertThat(notes.reached(OptionalLong.of(25))).as("nothing newer reached").isNull();
        assertThat(notes.reached(OptionalLong.empty())).isNull();
        assertThat(notes.reached(OptionalLong.of(30))).isEqualTo(T.plusMillis(400));
    }

    @Test
    void aHeadThatCameBackAfterACrashReleasesTheNotesOfPositionsTakenBack() {
        ReplicaCatchUpPublisher.Notes notes = new ReplicaCatchUpPublisher.Notes();
        notes.note(T, 25);
        assertThat(notes.reached(OptionalLong.of(22))).isNull();

        notes.note(T.plusMillis(200), 22);

        assertThat(notes.reached(OptionalLong.of(22))).isEqualTo(T.plusMillis(200));
    }

    @Test
    void aSegmentWhoseHandlerKeepsFailingIsNotCaughtUpThoughAxonStillSaysSo() {
        TrackerStatus failing = SEGMENTS[1].caughtUp().markError(new IllegalStateException("projection failed"));

        assertThat(failing.isCaughtUp()).isTrue();
        assertThat(ReplicaCatchUpPublisher.applied(List.of(SEGMENTS[0].caughtUp(), failing))).isEmpty();
    }
}
