package io.latchkey.validator.hazelcast;

import com.hazelcast.config.Config;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MergePolicyConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.ReplicatedMapConfig;
import com.hazelcast.config.SerializerConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.spi.merge.DiscardMergePolicy;
import io.latchkey.api.secret.KeyHash;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Member configuration for the replica cluster: TCP-IP join on explicit addresses (never multicast), a cluster name
 * that separates installations (and test runs), no phone-home. Every member is a full member: a lite member cannot
 * hold a replicated map.
 *
 * @param clusterName separates clusters sharing hosts
 * @param host        the interface to bind and advertise, by an IP address of this machine's; {@code *} lets
 *                    Hazelcast choose (containers), and then {@code members} must name the other members
 * @param port        first port to try; later members of the same host take the next free one
 * @param members     addresses of other members ({@code host:port}, or {@code host} for the ports an installation's
 *                    members take, 5701 to 5710); by default {@code host}
 */
public record ReplicaCluster(String clusterName, String host, int port, List<String> members) {

    static final String ANY_INTERFACE = "*";
    /**
     * An IPv4 address (each part up to 255), or an IPv6 one (hex digits and colons, an IPv4 tail and a zone allowed):
     * what InetAddress reads without looking a name up.
     */
    private static final Pattern IP_LITERAL = Pattern.compile("((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\\.){3}"
            + "(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9_.-]+)?");
    /** An IPv4 address with a part or more a wildcard ({@code *}) or a range ({@code 1-20}), as Hazelcast matches. */
    private static final Pattern INTERFACE_PATTERN = Pattern.compile(
            "(\\*|[0-9]{1,3}(-[0-9]{1,3})?)(\\.(\\*|[0-9]{1,3}(-[0-9]{1,3})?)){3}");
    /** The port an installation's first member takes; the next ones take the following ports. */
    static final int FIRST_PORT = 5701;
    /** How many ports from {@link #FIRST_PORT} a member address without a port stands for. */
    static final int PORTS_TRIED = 10;
    /** The member attribute naming the service instance, so receipts can say which edge is which. */
    static final String INSTANCE_ATTRIBUTE = "latchkey.instance";

    public ReplicaCluster {
        clusterName = clusterName == null || clusterName.isBlank() ? "latchkey" : clusterName;
        host = host == null || host.isBlank() ? "127.0.0.1" : host;
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port (latchkey.hazelcast.port) must be between 1 and 65535 (0 for "
                    + FIRST_PORT + "), got " + port);
        }
        port = port == 0 ? FIRST_PORT : port;
        if (members != null && members.stream().anyMatch(Objects::isNull)) {
            throw new IllegalArgumentException("members (latchkey.hazelcast.members) holds no address where one is "
                    + "expected: " + members);
        }
        members = members == null || members.isEmpty() ? List.of(host) : List.copyOf(members);
    }

    /**
     * @param instanceName the member's name, unique in this JVM: Hazelcast takes a second member of the same name for
     *                     the first
     */
    public Config memberConfig(String instanceName) {
        if (instanceName == null || instanceName.isBlank()) {
            throw new IllegalArgumentException("instanceName is required, and must be unique in this JVM, not '"
                    + instanceName + "'");
        }
        checkHost();
        Config config = new Config(instanceName);
        config.setClusterName(clusterName);
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        // Members of one installation start seconds apart; waiting 5 s before joining buys nothing here.
        config.setProperty("hazelcast.wait.seconds.before.join", "1");
        config.setProperty("hazelcast.tcp.join.port.try.count", "10");

        NetworkConfig network = config.getNetworkConfig();
        network.setPort(port).setPortAutoIncrement(true).setPortCount(20);
        if (!ANY_INTERFACE.equals(host)) {
            network.getInterfaces().setEnabled(true).addInterface(host);
            // Else Hazelcast listens on every interface and only advertises this one: anyone who can reach the port and
            // guesses the cluster's name joins, and any member may write the key map.
            config.setProperty("hazelcast.socket.bind.any", "false");
        }
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).setMembers(joinAddresses(members, port));

        config.getSerializationConfig().addSerializerConfig(new SerializerConfig()
                .setTypeClass(KeyHash.class).setImplementation(new KeyHashSerializer()));
        config.addReplicatedMapConfig(new ReplicatedMapConfig(ReplicaMaps.ACTIVE_KEYS)
                .setInMemoryFormat(InMemoryFormat.OBJECT)
                // Statistics read the clock twice per lookup and update shared counters; edges have their own metrics.
                .setStatisticsEnabled(false)
                .setAsyncFillup(true)
                .setMergePolicyConfig(new MergePolicyConfig(ActiveKeyMergePolicy.class.getName(), 1000)));
        // A merging side's confirmations are dropped: they vouch for entries the other side may not have received yet
        // (a revocation the writer made while cut off), so its members wait for the writers' next confirmation, which
        // a writer that merged gives only once it has written its entries again (ReplicaReconciler).
        config.addReplicatedMapConfig(new ReplicatedMapConfig(ReplicaMaps.HEADS)
                .setInMemoryFormat(InMemoryFormat.OBJECT)
                .setMergePolicyConfig(new MergePolicyConfig(DiscardMergePolicy.class.getName(), 100)));
        // A lost published size reads as a cold cluster, whose writers write before their own copy has filled: keep
        // it on as many members as Hazelcast allows, so that only the loss of all of them loses it.
        config.addMapConfig(new MapConfig(ReplicaMaps.META).setBackupCount(MapConfig.MAX_BACKUP_COUNT));
        config.getMemberAttributeConfig().setAttribute(INSTANCE_ATTRIBUTE, instanceName);
        return config;
    }

    /**
     * Refuses a host Hazelcast would fail on only once started, after a warning per address it tried: a host name
     * ({@code localhost}; Hazelcast matches interfaces by address), the wildcard address, an address of another
     * machine, or {@code *} or a pattern of interfaces with no members to join (it would ask that address, and stay
     * alone).
     */
    private void checkHost() {
        // Every interface, or Hazelcast's own interface patterns (10.0.0.*, 10.0.0.1-20), matched by it against
        // this machine's: the member cannot be asked by that, so the members to join must be named.
        boolean pattern = (host.contains("*") || host.contains("-")) && INTERFACE_PATTERN.matcher(host).matches();
        if (ANY_INTERFACE.equals(host) || pattern) {
            if (members.contains(host)) {
                throw new IllegalArgumentException("latchkey.hazelcast.host is " + (pattern
                        ? "a pattern of interfaces (" + host + ")" : "* (every interface)") + ", so "
                        + "latchkey.hazelcast.members must name the members to join (host or host:port, such as a "
                        + "compose service's name), not " + members);
            }
            return;
        }
        String refused = "latchkey.hazelcast.host must be an IP address of this machine's, the interface the member "
                + "binds and advertises (or * for every interface, with latchkey.hazelcast.members), not '" + host
                + "'";
        if (!IP_LITERAL.matcher(host).matches()) {
            throw new IllegalArgumentException(refused + ": a host name belongs in latchkey.hazelcast.members");
        }
        InetAddress address;
        try {
            // A literal: no name is looked up.
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(refused, e);
        }
        if (address.isAnyLocalAddress()) {
            throw new IllegalArgumentException(refused + ": use * for every interface");
        }
        try {
            if (NetworkInterface.getByInetAddress(address) == null) {
                throw new IllegalArgumentException(refused + ": no interface of this machine has it");
            }
        } catch (SocketException e) {
            // The interfaces could not be listed: Hazelcast, which lists them too, says what it finds.
        }
    }

    /**
     * The addresses the join asks: one without a port stands for {@value #FIRST_PORT} and the ports after it, and for
     * this member's own port and the ones after it. Hazelcast alone would try only the latter, which for a member
     * with a port of its own (a validator embedded beside an installation) are ports none of the installation's
     * members holds; the former alone would miss an installation whose members all start past them.
     */
    static List<String> joinAddresses(List<String> members, int ownPort) {
        Set<String> addresses = new LinkedHashSet<>();
        for (String member : members) {
            if (hasPort(member) || ANY_INTERFACE.equals(member)) {
                addresses.add(member);
            } else {
                String host = member.contains(":") && !member.startsWith("[") ? "[" + member + "]" : member;
                // A set: a member on the first port asks the same addresses once.
                for (int first : new int[] {FIRST_PORT, ownPort}) {
                    for (int port = first; port < first + PORTS_TRIED; port++) {
                        addresses.add(host + ":" + port);
                    }
                }
            }
        }
        return List.copyOf(addresses);
    }

    /** {@code host:port} or {@code [v6]:port}, not a host name, an IPv4 address or a bare IPv6 one. */
    private static boolean hasPort(String member) {
        if (member.startsWith("[")) {
            return member.contains("]:");
        }
        int colon = member.indexOf(':');
        return colon >= 0 && colon == member.lastIndexOf(':');
    }

    /**
     * Whether {@code hazelcast} is a member made from a {@link #memberConfig} (of any replica cluster): one that can
     * hold the replica and read its entries. A client cannot (its lookups would each be a network call), and a member
     * configured otherwise lacks the serializer of the replica's keys.
     */
    public static boolean isReplicaMember(HazelcastInstance hazelcast) {
        Config config;
        try {
            config = hazelcast.getConfig();
        } catch (UnsupportedOperationException client) {
            return false;
        }
        return config.getSerializationConfig().getSerializerConfigs().stream()
                .anyMatch(serializer -> serializer.getTypeClass() == KeyHash.class
                        || KeyHash.class.getName().equals(serializer.getTypeClassName()));
    }
}
