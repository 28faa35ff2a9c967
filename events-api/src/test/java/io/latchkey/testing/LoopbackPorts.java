package io.latchkey.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free loopback ports for tests that start servers and Hazelcast members. They come from below Linux's ephemeral range
 * (32768 and up) and never twice in one JVM. A port the OS picked could be taken by an outbound connection before the
 * server meant to bind it starts; and a member reconnecting to a departed member at an ephemeral port can be handed
 * that very port for its own end, so TCP connects it to itself, which Hazelcast fails as "Connecting to self!".
 */
public final class LoopbackPorts {

    private static final int LOWEST = 20_000;
    private static final int BELOW_EPHEMERAL = 32_000;
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private LoopbackPorts() {
    }

    /** A free port. */
    public static int free() {
        return freeBlock(1);
    }

    /**
     * The first of {@code count} consecutive free ports: a Hazelcast member configured with a port counts upwards
     * from it when it is taken, so tests that start several members on one configured port need room above it.
     */
    public static int freeBlock(int count) {
        for (int attempt = 0; attempt < 1_000; attempt++) {
            int first = LOWEST + ThreadLocalRandom.current().nextInt(BELOW_EPHEMERAL - LOWEST - count);
            if (claim(first, count)) {
                return first;
            }
        }
        throw new IllegalStateException("no " + count + " free consecutive ports between " + LOWEST + " and "
                + BELOW_EPHEMERAL);
    }

    private static boolean claim(int first, int count) {
        List<Integer> claimed = new ArrayList<>();
        for (int port = first; port < first + count; port++) {
            if (!HANDED_OUT.add(port)) {
                HANDED_OUT.removeAll(claimed);
                return false;
            }
            claimed.add(port);
        }
        for (int port : claimed) {
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                socket.getLocalPort();
            } catch (IOException busy) {
                // Taken by something outside this JVM; the ports stay claimed, as nothing here should try them again.
                return false;
            }
        }
        return true;
    }
}
