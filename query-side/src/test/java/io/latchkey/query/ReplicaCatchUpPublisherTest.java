package io.latchkey.query;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.OptionalLong;
import org.axonframework.eventhandling.GlobalSequenceTrackingToken;
import org.axonframework.eventhandling.Segment;
import org.axonframework.eventhandling.TrackerStatus;
import org.junit.jupiter.api.Test;

/** On Axon's own segment statuses, as its tracking processor reports them. */
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

    @Test
    void aSegmentWhoseHandlerKeepsFailingIsNotCaughtUpThoughAxonStillSaysSo() {
        TrackerStatus failing = SEGMENTS[1].caughtUp().markError(new IllegalStateException("projection failed"));

        assertThat(failing.isCaughtUp()).isTrue();
        assertThat(ReplicaCatchUpPublisher.applied(List.of(SEGMENTS[0].caughtUp(), failing))).isEmpty();
    }
}
