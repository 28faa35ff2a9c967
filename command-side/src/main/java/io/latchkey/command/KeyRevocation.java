package io.latchkey.command;

import java.util.List;

/**
 * What revoking a key did: the version of its revocation event and the hashes of the secrets that could still have
 * been accepted (the current one and the one rotated out last, which may be in its grace period).
 */
public record KeyRevocation(String keyId, long version, List<String> secretHashes) {

    public KeyRevocation {
        secretHashes = List.copyOf(secretHashes);
    }
}
