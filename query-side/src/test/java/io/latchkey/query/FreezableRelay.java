package io.latchkey.query;

import io.latchkey.testing.LoopbackPorts;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CountDownLatch;

/**
 * A TCP relay on a loopback port in front of another that can be frozen: while it is, connections stay open and no
 * byte passes either way, as when the process behind it is stopped or its host drops every packet; thawed, what was
 * held goes on. Daemon threads, one pair per connection.
 */
final class FreezableRelay implements AutoCloseable {

    private final ServerSocket listening;
    private final int target;
    private volatile CountDownLatch frozen = new CountDownLatch(0);

    FreezableRelay(int target) {
        this.target = target;
        try {
            listening = new ServerSocket(LoopbackPorts.free(), 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        daemon(this::accept);
    }

    int port() {
        return listening.getLocalPort();
    }

    void freeze() {
        frozen = new CountDownLatch(1);
    }

    void thaw() {
        frozen.countDown();
    }

    @Override
    public void close() throws IOException {
        thaw();
        listening.close();
    }

    private void accept() {
        while (!listening.isClosed()) {
            try {
                Socket client = listening.accept();
                Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
                daemon(() -> pump(client, server));
                daemon(() -> pump(server, client));
            } catch (IOException e) {
                // Closed, or the target refused: the client's connection fails, as it would without the relay.
            }
        }
    }

    /** Copies one direction until either side closes; each read's bytes wait while the relay is frozen. */
    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try (from; to) {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int read; (read = in.read(buffer)) >= 0; ) {
                frozen.await();
                out.write(buffer, 0, read);
                out.flush();
            }
        } catch (IOException e) {
            // One side closed: closing both ends the other direction too.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void daemon(Runnable task) {
        Thread thread = new Thread(task, "freezable-relay");
        thread.setDaemon(true);
        thread.start();
    }
}
