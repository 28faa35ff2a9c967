package io.latchkey.edge;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real loopback peer that takes every connection, writes {@code head} on it (nothing, or the start of an answer) and
 * then nothing more, holding the connections open until it is closed: a frozen service, or a proxy stalling a body.
 */
final class StalledPeer implements AutoCloseable {

    private final ServerSocket listener;
    private final List<Socket> held = new CopyOnWriteArrayList<>();

    StalledPeer(String head) throws IOException {
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        byte[] written = head.getBytes(StandardCharsets.US_ASCII);
        Thread acceptor = new Thread(() -> {
            try {
                while (true) {
                    Socket socket = listener.accept();
                    held.add(socket);
                    socket.getOutputStream().write(written);
                    socket.getOutputStream().flush();
                }
            } catch (IOException closed) {
                // The test is over.
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A peer that answers with a 200's headers and the first bytes of a 100-byte body. */
    static StalledPeer stallingABody(String firstBytes) throws IOException {
        return new StalledPeer("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                + firstBytes);
    }

    int port() {
        return listener.getLocalPort();
    }

    /** Connections taken so far. */
    int connections() {
        return held.size();
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket socket : held) {
            socket.close();
        }
    }
}
