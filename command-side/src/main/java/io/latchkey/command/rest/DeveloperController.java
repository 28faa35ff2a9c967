package io.latchkey.command.rest;

import io.latchkey.command.RegisterDeveloperCommand;
import io.latchkey.support.web.Ids;
import io.latchkey.support.web.RequestContext;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /v1/developers}: operators register developer accounts. */
@RestController
class DeveloperController {

    private final CommandSender commands;
    private final Clock clock;

    DeveloperController(CommandSender commands, Clock clock) {
        this.commands = commands;
        this.clock = clock;
    }

    @PostMapping("/v1/developers")
    ResponseEntity<DeveloperResponse> register(@RequestBody RegisterDeveloperRequest request, RequestContext ctx) {
        String name = Requests.text(request.name(), "name", 200);
        String email = Requests.email(request.email());
        String developerId = UUID.randomUUID().toString();
        Instant now = clock.instant();
        commands.send(new RegisterDeveloperCommand(developerId, name, email, now), ctx, Ids.NO_SUCH_DEVELOPER);
        return ResponseEntity.created(URI.create("/v1/developers/" + developerId))
                .body(new DeveloperResponse(developerId, name, email, now));
    }
}
