package io.latchkey.command;

import java.util.List;

/**
 * What revoking a key did: the version of its revocation event and the hashes of the secrets that could still have
 * been accepted (the current one and those rotated out whose grace periods outlasted the last rotation).
 */
public record KeyRevocation(String keyId, long version, List<String> secretHashes) {

    public KeyRevocation {
        secretHashes = List.copyOf(secretHashes);
    }
}
