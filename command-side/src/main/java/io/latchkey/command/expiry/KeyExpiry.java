package io.latchkey.command.expiry;

import java.time.Instant;
import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

/** One scheduled expiry: the key and when it expires. */
@Document(ExpirySchedule.COLLECTION)
record KeyExpiry(@Id String keyId, Instant expiresAt) {
}
