package io.latchkey.command.email;

import java.time.Instant;
import java.util.List;
import org.springframework.data.annotation.Id;
import org.springframework.data.annotation.PersistenceCreator;
import org.springframework.data.mongodb.core.mapping.Document;

/**
 * An address, in lower case, the account that claimed it when, and the other accounts that had it before claims
 * existed ({@code alsoHeldBy}, null for none): they keep it when the claimant leaves it.
 */
@Document(EmailClaims.COLLECTION)
record EmailClaim(@Id String address, String developerId, Instant claimedAt, List<String> alsoHeldBy) {

    @PersistenceCreator
    EmailClaim {
    }

    EmailClaim(String address, String developerId, Instant claimedAt) {
        this(address, developerId, claimedAt, null);
    }
}
