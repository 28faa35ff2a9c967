package io.latchkey.support.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.latchkey.api.ApiKeyRotatedEvent;
import java.time.Instant;
import java.util.stream.Stream;
import org.axonframework.eventhandling.GenericDomainEventEntry;
import org.axonframework.serialization.json.JacksonSerializer;
import org.axonframework.serialization.upcasting.event.InitialEventRepresentation;
import org.junit.jupiter.api.Test;

/** Rotations as the event store holds them, read through the upcaster with the services' kind of serializer. */
class RotationUpcasterTest {

    private static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");
    private static final String OLD = "b".repeat(64);
    private static final String NEW = "c".repeat(64);

    private final JacksonSerializer serializer = JacksonSerializer.builder().objectMapper(new ObjectMapper()
            .registerModule(new JavaTimeModule()).disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)).build();

    private ApiKeyRotatedEvent read(String payload) {
        GenericDomainEventEntry<String> stored = new GenericDomainEventEntry<>("ApiKey", "k", 1, "event-1", AT,
                ApiKeyRotatedEvent.class.getName(), null, payload, "{}");
        return new RotationUpcaster().upcast(Stream.of(new InitialEventRepresentation(stored, serializer)))
                .map(upcast -> (ApiKeyRotatedEvent) serializer.deserialize(upcast.getData()))
                .findFirst().orElseThrow();
    }

    @Test
    void aRotationStoredBeforeTheFieldEndedEveryEarlierSecretAtOnce() {
        ApiKeyRotatedEvent event = read("{\"keyId\":\"k\",\"secretHash\":\"" + NEW + "\",\"hint\":\"lk_live_…cccc\","
                + "\"previousSecretHash\":\"" + OLD + "\",\"previousSecretValidUntil\":\"2026-01-01T01:00:00Z\","
                + "\"rotatedAt\":\"2026-01-01T00:00:00Z\"}");

        assertThat(event.earlierSecretsValidUntil()).isEqualTo(AT);
        assertThat(event.previousSecretValidUntil()).isEqualTo(AT.plusSeconds(3600));
    }

    @Test
    void aRotationThatCarriesTheFieldIsReadAsStored() throws Exception {
        ApiKeyRotatedEvent stored = new ApiKeyRotatedEvent("k", NEW, "lk_live_…cccc", OLD, AT.plusSeconds(3600), AT,
                AT.plusSeconds(3600));

        assertThat(read(serializer.getObjectMapper().writeValueAsString(stored))).isEqualTo(stored);
    }
}
