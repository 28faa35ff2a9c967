package io.latchkey.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.latchkey.validator.KeyValidator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway listener against clients that would hold its connections: one trickling a request's bytes, and one
 * opening more connections than the listener keeps. A well-behaved check is answered throughout.
 */
class GatewayListenerLimitsTest {

    private static final String CHECK = "GET /authorize HTTP/1.1\r\nHost: edge\r\n\r\n";
    private static final int MAX_CONNECTIONS = 20;

    private GatewayServer server;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @BeforeEach
    void start() {
        GatewayRoutes routes = new GatewayRoutes(KeyValidator.builder()
                .replica(new EmptyReplica(true, Instant.EPOCH)).maxLag(null).build(),
                Optional.empty(), new EdgeMetrics(registry), Optional.empty());
        server = new GatewayServer(routes, "127.0.0.1", 0, 1, null, Duration.ofSeconds(1), MAX_CONNECTIONS);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aRequestTrickledByteByByteIsCutOffAtTheRequestTimeout() throws Exception {
        try (Socket slow = new Socket("127.0.0.1", server.port())) {
            slow.setSoTimeout(10_000);
            OutputStream out = slow.getOutputStream();
            long started = System.nanoTime();
            boolean closed = false;
            // A byte every 200 ms resets any idle timer; the request would take 8 s to arrive whole.
            for (byte b : CHECK.getBytes(StandardCharsets.ISO_8859_1)) {
                try {
                    out.write(b);
                    out.flush();
                } catch (SocketException reset) {
                    closed = true;
                    break;
                }
                if (slow.getInputStream().available() > 0 || System.nanoTime() - started > 3_000_000_000L) {
                    break;
                }
                Thread.sleep(200);
            }
            closed |= slow.getInputStream().read() == -1;

            assertThat(closed).as("the trickling connection closed").isTrue();
            assertThat(System.nanoTime() - started).as("closed near the 1 s timeout").isLessThan(3_000_000_000L);
        }
        assertThat(check()).startsWith("HTTP/1.1 401");
    }

    @Test
    void aKeepAliveConnectionSendingWholeRequestsIsNeverCutOff() throws Exception {
        try (Socket gateway = new Socket("127.0.0.1", server.port())) {
            gateway.setSoTimeout(5_000);
            for (int i = 0; i < 15; i++) {
                gateway.getOutputStream().write(CHECK.getBytes(StandardCharsets.ISO_8859_1));
                assertThat(readStatusLine(gateway.getInputStream())).as("check " + i).startsWith("HTTP/1.1 401");
                Thread.sleep(200);
            }
        }
    }

    /** A connection that never sends would hold a place under the cap until the idle timeout (60 s) otherwise. */
    @Test
    void aConnectionThatNeverSendsIsClosedAtTheRequestTimeout() throws Exception {
        try (Socket silent = new Socket("127.0.0.1", server.port())) {
            silent.setSoTimeout(10_000);
            long started = System.nanoTime();

            assertThat(silent.getInputStream().read()).isEqualTo(-1);
            assertThat(System.nanoTime() - started).as("closed near the 1 s timeout").isLessThan(3_000_000_000L);
        }
    }

    /**
     * A client that sends many checks without reading pauses the listener's reading; once it reads, every check is
     * answered, in order, and the connection serves on. With its output then shut, it still gets every answer.
     */
    @Test
    void aClientThatReadsLateGetsEveryAnswerAndTheConnectionServesOn() throws Exception {
        int checks = 20_000;
        try (Socket client = new Socket()) {
            client.setReceiveBufferSize(4096);
            client.connect(new InetSocketAddress("127.0.0.1", server.port()));
            client.setSoTimeout(10_000);
            Thread sender = new Thread(() -> {
                try {
                    client.getOutputStream().write(CHECK.repeat(checks).getBytes(StandardCharsets.ISO_8859_1));
                    client.getOutputStream().write(CHECK.getBytes(StandardCharsets.ISO_8859_1));
                    client.shutdownOutput();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }, "late-reading-client");
            sender.start();
            // Reads nothing for a while: the answers wait and the listener stops reading.
            Thread.sleep(1_000);

            InputStream in = client.getInputStream();
            int answered = 0;
            while (!readStatusLine(in).isEmpty()) {
                answered++;
            }
            sender.join(10_000);

            assertThat(answered).as("answers to %d checks and one more after them", checks).isEqualTo(checks + 1);
        }
    }

    @Test
    void connectionsBeyondTheLimitAreClosedAsTheyAreAccepted() throws Exception {
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < MAX_CONNECTIONS; i++) {
                Socket socket = new Socket("127.0.0.1", server.port());
                socket.setSoTimeout(5_000);
                held.add(socket);
                // Answered, so the listener has taken the connection before the next one comes.
                socket.getOutputStream().write(CHECK.getBytes(StandardCharsets.ISO_8859_1));
                assertThat(readStatusLine(socket.getInputStream())).startsWith("HTTP/1.1 401");
            }
            try (Socket beyond = new Socket("127.0.0.1", server.port())) {
                beyond.setSoTimeout(5_000);
                assertThat(closedBeforeAnAnswer(beyond)).as("a connection beyond the limit").isTrue();
            }
            // What an operator's metrics show (EdgeMetrics.watch): the held ones open, the one beyond refused.
            assertThat(server.openConnections()).isEqualTo(MAX_CONNECTIONS);
            assertThat(server.connectionsOpened()).isEqualTo(MAX_CONNECTIONS);
            assertThat(server.connectionsRefused()).isEqualTo(1);
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        String answer = "";
        while (!answer.startsWith("HTTP/1.1 401") && System.nanoTime() < deadline) {
            answer = check();
            Thread.sleep(20);
        }
        assertThat(answer).as("served again once the held connections closed").startsWith("HTTP/1.1 401");
    }

    /**
     * RFC 9112 (6.1): a server must close the connection after answering such a request. The request sent behind it,
     * which a proxy going by the length would take for part of the body, is not decided either.
     */
    @Test
    void aRequestWithBothAContentLengthAndATransferEncodingIsRefusedAndItsConnectionClosed() throws Exception {
        for (String version : List.of("HTTP/1.1", "HTTP/1.0")) {
            try (Socket socket = new Socket("127.0.0.1", server.port())) {
                socket.setSoTimeout(5_000);
                socket.getOutputStream().write(("POST /authorize " + version + "\r\nHost: edge\r\n"
                        + "Connection: keep-alive\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "0\r\n\r\n" + CHECK).getBytes(StandardCharsets.ISO_8859_1));

                assertThat(readStatusLine(socket.getInputStream())).as(version).startsWith("HTTP/1.1 400");
                assertThat(socket.getInputStream().read()).as("nothing more: the request behind it is not answered")
                        .isEqualTo(-1);
            }
        }
        assertThat(registry.find("latchkey.decisions").counters()).as("decisions made")
                .allSatisfy(counter -> assertThat(counter.count()).isZero());
        assertThat(check()).as("other connections served on").startsWith("HTTP/1.1 401");
    }

    @Test
    void anHttp11RequestNeedsExactlyOneHost() throws Exception {
        for (String hosts : List.of("Host: edge\r\nHost: other\r\n", "", "Host: edge, other\r\n")) {
            try (Socket socket = new Socket("127.0.0.1", server.port())) {
                socket.setSoTimeout(5_000);
                socket.getOutputStream().write(("GET /authorize HTTP/1.1\r\n" + hosts + "\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));

                assertThat(readStatusLine(socket.getInputStream())).as(hosts).startsWith("HTTP/1.1 400");
            }
        }
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write("GET /authorize HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));

            assertThat(readStatusLine(socket.getInputStream())).as("HTTP/1.0 without a host")
                    .startsWith("HTTP/1.1 401");
        }
    }

    private String check() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(CHECK.getBytes(StandardCharsets.ISO_8859_1));
            return readStatusLine(socket.getInputStream());
        } catch (SocketException closed) {
            return "";
        }
    }

    private static boolean closedBeforeAnAnswer(Socket socket) throws IOException {
        try {
            socket.getOutputStream().write(CHECK.getBytes(StandardCharsets.ISO_8859_1));
            return socket.getInputStream().read() == -1;
        } catch (SocketException reset) {
            return true;
        }
    }

    /** The status line, and the rest of the answer read through its Content-Length. */
    private static String readStatusLine(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (head.indexOf("\r\n\r\n") < 0) {
            int b = in.read();
            if (b < 0) {
                return head.toString();
            }
            head.append((char) b);
        }
        Matcher length = Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
        if (length.find()) {
            in.readNBytes(Integer.parseInt(length.group(1)));
        }
        return head.substring(0, head.indexOf("\r\n"));
    }
}
