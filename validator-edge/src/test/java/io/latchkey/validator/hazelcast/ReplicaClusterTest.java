package io.latchkey.validator.hazelcast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.latchkey.testing.LoopbackPorts;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The member configuration every Latchkey member and embedded validator is made from. */
class ReplicaClusterTest {

    /** The replica cluster is a trust boundary: a member on loopback must not be reachable from the network. */
    @Test
    void aMemberGivenAnInterfaceListensOnThatInterfaceAlone() throws IOException {
        Optional<InetAddress> networkAddress = networkAddress();
        assumeTrue(networkAddress.isPresent(), "this machine has no network address besides loopback");
        int port = LoopbackPorts.free();
        HazelcastInstance member = Hazelcast.newHazelcastInstance(new ReplicaCluster("bind-" + UUID.randomUUID(),
                "127.0.0.1", port, List.of("127.0.0.1:" + port)).memberConfig("bind-test"));
        try {
            int bound = member.getCluster().getLocalMember().getAddress().getPort();
            try (Socket loopback = new Socket()) {
                loopback.connect(new InetSocketAddress("127.0.0.1", bound), 2_000);
            }
            assertThatThrownBy(() -> {
                try (Socket fromNetwork = new Socket()) {
                    fromNetwork.connect(new InetSocketAddress(networkAddress.get(), bound), 2_000);
                }
            }).as("connecting through " + networkAddress.get()).isInstanceOf(IOException.class);
        } finally {
            member.shutdown();
        }
    }

    /** An installation started past 5701-5710 (another one holds them) still forms one cluster by default. */
    @Test
    void membersWithDefaultAddressesOnPortsOfTheirOwnFormOneCluster() {
        int port = LoopbackPorts.freeBlock(2);
        ReplicaCluster cluster = new ReplicaCluster("past-" + UUID.randomUUID(), "127.0.0.1", port, null);
        HazelcastInstance first = Hazelcast.newHazelcastInstance(cluster.memberConfig("first"));
        HazelcastInstance second = Hazelcast.newHazelcastInstance(cluster.memberConfig("second"));
        try {
            assertThat(second.getCluster().getMembers()).hasSize(2);
        } finally {
            second.shutdown();
            first.shutdown();
        }
    }

    @Test
    void anAddressWithoutAPortStandsForThePortsAnInstallationsMembersTake() {
        List<String> installation = IntStream.range(5701, 5711).mapToObj(port -> "10.0.0.5:" + port).toList();
        assertThat(ReplicaCluster.joinAddresses(List.of("10.0.0.5"), 5701)).isEqualTo(installation);
        assertThat(ReplicaCluster.joinAddresses(List.of("10.0.0.5:5799", "[::1]:5701"), 5701))
                .containsExactly("10.0.0.5:5799", "[::1]:5701");
        assertThat(ReplicaCluster.joinAddresses(List.of("::1"), 5701)).first().isEqualTo("[::1]:5701");
        assertThat(ReplicaCluster.joinAddresses(List.of("edge.internal"), 5701)).hasSize(10).last()
                .isEqualTo("edge.internal:5710");

        // A member with a port of its own (a validator beside an installation) asks the installation's ports, and its
        // own range as Hazelcast would (an installation started past 5710 forms there).
        Config embedded = new ReplicaCluster("c", "127.0.0.1", 5750, null).memberConfig("embedded");
        assertThat(embedded.getNetworkConfig().getJoin().getTcpIpConfig().getMembers()).isEqualTo(
                IntStream.concat(IntStream.range(5701, 5711), IntStream.range(5750, 5760))
                        .mapToObj(port -> "127.0.0.1:" + port).toList());
        assertThat(embedded.getProperty("hazelcast.socket.bind.any")).isEqualTo("false");
        assertThat(new ReplicaCluster("c", "*", 5701, List.of("edge")).memberConfig("container")
                .getProperty("hazelcast.socket.bind.any")).as("containers bind every interface").isNull();
    }

    @Test
    void aMissingInstanceNameMemberAddressOrMemberIsRefusedAtTheCallNamingIt() {
        ReplicaCluster cluster = new ReplicaCluster("c", "127.0.0.1", 5701, null);
        for (String name : new String[] {null, " "}) {
            assertThatThrownBy(() -> cluster.memberConfig(name)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("instanceName is required, and must be unique in this JVM");
        }
        assertThatThrownBy(() -> new ReplicaCluster("c", "127.0.0.1", 5701, Arrays.asList("10.0.0.5", null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("latchkey.hazelcast.members");
        assertThatThrownBy(() -> HazelcastKeyReplica.of(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("hazelcast is required");
    }

    @Test
    void aPortOutOfRangeIsRefusedNamingTheSetting() {
        for (int port : new int[] {-1, 65_536}) {
            assertThatThrownBy(() -> new ReplicaCluster("c", "127.0.0.1", port, null)).as("port " + port)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("port (latchkey.hazelcast.port) must be between 1 and 65535");
        }
    }

    /** Hazelcast would fail on each only once started, after a warning per address, or join no one. */
    @Test
    void aHostThatIsNoAddressOfThisMachineIsRefusedBeforeTheMemberStartsNamingTheSettings() {
        // 192.0.2.1 is reserved for documentation: no machine has it.
        for (String host : new String[] {"localhost", "edge.internal", "0.0.0.0", "::", "192.0.2.1", "300.1.1.1"}) {
            assertThatThrownBy(() -> new ReplicaCluster("c", host, 5701, List.of("127.0.0.1")).memberConfig("m"))
                    .as(host).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("latchkey.hazelcast.host must be an IP address of this machine's")
                    .hasMessageContaining("'" + host + "'");
        }
        assertThatThrownBy(() -> new ReplicaCluster("c", "*", 5701, null).memberConfig("m"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("latchkey.hazelcast.members must name the members to join");
        // Hazelcast's own patterns of interfaces, with the members named; without, it would join the pattern.
        assertThat(new ReplicaCluster("c", "127.0.0.*", 5701, List.of("127.0.0.1")).memberConfig("m")
                .getNetworkConfig().getInterfaces().getInterfaces()).containsExactly("127.0.0.*");
        assertThat(new ReplicaCluster("c", "127.0.0.1-9", 5701, List.of("127.0.0.1")).memberConfig("m")
                .getNetworkConfig().getInterfaces().getInterfaces()).containsExactly("127.0.0.1-9");
        assertThatThrownBy(() -> new ReplicaCluster("c", "10.0.0.*", 5701, null).memberConfig("m"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("latchkey.hazelcast.members must name the members to join");
        // As docker-compose sets them: every interface, the members by their service names.
        assertThat(new ReplicaCluster("c", "*", 5701, List.of("command-side", "query-side", "edge"))
                .memberConfig("m").getNetworkConfig().getInterfaces().isEnabled()).isFalse();
        assertThat(new ReplicaCluster("c", "127.0.0.1", 5701, List.of("edge.internal")).memberConfig("m")
                .getNetworkConfig().getInterfaces().getInterfaces()).containsExactly("127.0.0.1");
    }

    private static Optional<InetAddress> networkAddress() throws SocketException {
        return NetworkInterface.networkInterfaces().filter(ReplicaClusterTest::up)
                .flatMap(NetworkInterface::inetAddresses)
                .filter(address -> address instanceof Inet4Address && !address.isLoopbackAddress())
                .findFirst();
    }

    private static boolean up(NetworkInterface network) {
        try {
            return network.isUp() && !network.isLoopback();
        } catch (SocketException e) {
            return false;
        }
    }
}
