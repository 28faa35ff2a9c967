package io.latchkey.query.rest;

import io.latchkey.api.ApiKeyUsageRecordedEvent;
import io.latchkey.query.KeyUsageProjection;
import io.latchkey.support.web.RequestContext;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /v1/usage/unattributed}, the operator's: the edges' answers to requests no key was found for (no key, a
 * malformed or unknown one, a refusal before any key was looked up, an edge not yet able to decide), counted as a
 * key's are under {@value ApiKeyUsageRecordedEvent#UNKNOWN_KEY}. Guessing, mistyped or made-up keys, and an
 * outage's refusals show here: they belong to no developer.
 */
@RestController
class UnattributedUsageController {

    private final UsageReads usageReads;

    UnattributedUsageController(UsageReads usageReads) {
        this.usageReads = usageReads;
    }

    @GetMapping(path = "/v1/usage/unattributed", produces = MediaType.APPLICATION_JSON_VALUE)
    UsageResponse unattributed(@RequestParam(required = false) String from, @RequestParam(required = false) String to,
                               @RequestParam(required = false) String granularity,
                               @RequestParam MultiValueMap<String, String> parameters, RequestContext ctx) {
        ctx.caller().requireOperator();
        QueryParameters.only(parameters, List.of("from", "to", "granularity"));
        KeyUsageProjection.Granularity size = UsageReads.granularity(granularity);
        return usageReads.read(ApiKeyUsageRecordedEvent.UNKNOWN_KEY, from, to, size, ctx.caller());
    }
}
