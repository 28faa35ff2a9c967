package io.latchkey.command.rest;

import org.axonframework.messaging.correlation.SimpleCorrelationDataProvider;
import org.springframework.stereotype.Component;

/**
 * Copies the mark of a rotate sent with an {@code Idempotency-Key} from its command into its event's metadata, where a
 * rotate sent again finds it ({@link IdempotencyKeys#unrotated}); other commands carry none.
 */
@Component
class RotationMarks extends SimpleCorrelationDataProvider {

    RotationMarks() {
        super(IdempotencyKeys.ROTATION);
    }
}
