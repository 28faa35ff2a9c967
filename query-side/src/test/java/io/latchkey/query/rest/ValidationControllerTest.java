package io.latchkey.query.rest;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.latchkey.api.secret.KeyFormat;
import io.latchkey.support.security.Caller;
import io.latchkey.support.web.RequestContext;
import io.latchkey.testing.LoopbackPorts;
import io.latchkey.validator.KeyValidator;
import io.latchkey.validator.hazelcast.HazelcastKeyReplica;
import io.latchkey.validator.hazelcast.ReplicaCluster;
import java.io.IOException;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;

/** The controller on a real member whose replica no writer has ever published to. */
class ValidationControllerTest {

    private static HazelcastInstance member;

    @BeforeAll
    static void startLoneMember() throws IOException {
        int port = LoopbackPorts.free();
        member = Hazelcast.newHazelcastInstance(new ReplicaCluster("qs-lonely-" + UUID.randomUUID(), "127.0.0.1",
                port, List.of("127.0.0.1:" + port)).memberConfig("query-side-test-lonely-" + UUID.randomUUID()));
    }

    @AfterAll
    static void stopMember() {
        member.shutdown();
    }

    @Test
    void incompleteReplicaAnswersServiceUnavailableRatherThanDeny() {
        ValidationController controller = new ValidationController(
                KeyValidator.builder().replica(HazelcastKeyReplica.of(member)).maxLag(null).build());

        ResponseEntity<?> response = controller.validate(
                new ValidateRequest(KeyFormat.forEnvironment("test").generate(), "read"),
                new RequestContext(Caller.EDGE, "request-1", "127.0.0.1"));

        assertThat(response.getStatusCode().value()).isEqualTo(503);
        assertThat(response.getHeaders().getFirst("Retry-After")).isEqualTo("1");
        assertThat(response.getBody()).isInstanceOfSatisfying(ProblemDetail.class,
                problem -> assertThat(problem.getType().toString()).endsWith("/replica-not-ready"));
    }
}
