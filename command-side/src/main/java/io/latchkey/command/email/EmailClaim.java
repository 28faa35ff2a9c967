package io.latchkey.command.email;

import java.time.Instant;
import org.springframework.data.annotation.Id;
import org.springframework.data.mongodb.core.mapping.Document;

/** An address, in lower case, and the account that claimed it when. */
@Document(EmailClaims.COLLECTION)
record EmailClaim(@Id String address, String developerId, Instant claimedAt) {
}
