package io.latchkey.validator.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.StreamSerializer;
import io.latchkey.api.secret.KeyHash;
import java.io.IOException;

/**
 * The replicated map's key on the wire: the digest's four words, 32 bytes. Hazelcast also serializes the key of
 * every lookup to find its partition, so this runs on the validation path and must stay this small.
 */
final class KeyHashSerializer implements StreamSerializer<KeyHash> {

    /** Positive and unique among the installation's custom serializers; never change it while members run. */
    static final int TYPE_ID = 7301;

    @Override
    public void write(ObjectDataOutput out, KeyHash hash) throws IOException {
        out.writeLong(hash.word(0));
        out.writeLong(hash.word(1));
        out.writeLong(hash.word(2));
        out.writeLong(hash.word(3));
    }

    @Override
    public KeyHash read(ObjectDataInput in) throws IOException {
        return KeyHash.ofWords(in.readLong(), in.readLong(), in.readLong(), in.readLong());
    }

    @Override
    public int getTypeId() {
        return TYPE_ID;
    }
}
