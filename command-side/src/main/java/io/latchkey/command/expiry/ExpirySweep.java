package io.latchkey.command.expiry;

import io.latchkey.command.ApiKey;
import io.latchkey.command.ExpireApiKeyCommand;
import io.latchkey.support.security.Caller;
import io.latchkey.support.web.RequestContext;
import io.latchkey.validator.spring.Settings;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Periodically asks every due key to expire. The command is idempotent, so a sweep that overlaps a stale schedule
 * entry, another instance's sweep, or a restart does no harm.
 */
@Component
class ExpirySweep {

    private static final Logger log = LoggerFactory.getLogger(ExpirySweep.class);
    private static final Caller ACTOR = new Caller(ApiKey.EXPIRY_ACTOR);
    private static final int BATCH = 500;

    private final ExpirySchedule schedule;
    private final CommandGateway gateway;
    private final Clock clock;

    /** {@code sweepInterval} is checked here: Spring's scheduler refuses one that is not positive without its name. */
    ExpirySweep(ExpirySchedule schedule, CommandGateway gateway, Clock clock,
                @Value("${latchkey.expiry.sweep-interval:5s}") Duration sweepInterval) {
        Settings.positive("latchkey.expiry.sweep-interval", sweepInterval);
        this.schedule = schedule;
        this.gateway = gateway;
        this.clock = clock;
    }

    @Scheduled(fixedDelayString = "${latchkey.expiry.sweep-interval:5s}",
            initialDelayString = "${latchkey.expiry.sweep-interval:5s}")
    void sweep() {
        Instant now = clock.instant();
        for (String keyId : schedule.due(now, BATCH)) {
            RequestContext context = new RequestContext(ACTOR, UUID.randomUUID().toString(), "internal");
            try {
                gateway.sendAndWait(GenericCommandMessage.asCommandMessage(new ExpireApiKeyCommand(keyId, now))
                        .andMetaData(context.metaData()), 10, TimeUnit.SECONDS);
            } catch (RuntimeException e) {
                // The entry stays due, so the next sweep retries.
                log.warn("Could not record the expiry of key {}: {}", keyId, e.toString());
            }
        }
    }
}
