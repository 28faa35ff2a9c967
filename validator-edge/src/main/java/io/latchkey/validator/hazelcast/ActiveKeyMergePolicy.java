package io.latchkey.validator.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.spi.merge.MergingValue;
import com.hazelcast.spi.merge.SplitBrainMergePolicy;
import io.latchkey.api.replica.ActiveKeyEntry;

/**
 * Heals the replicated map after a split brain by the same rule every write obeys ({@link ActiveKeyEntry#newer}):
 * REVOKED always wins, then the higher version. Hazelcast's default keeps the larger side's entry, which would bring
 * back a key revoked on the smaller side.
 */
public class ActiveKeyMergePolicy implements SplitBrainMergePolicy<byte[], MergingValue<byte[]>, byte[]> {

    @Override
    public byte[] merge(MergingValue<byte[]> merging, MergingValue<byte[]> existing) {
        if (existing == null) {
            return merging.getDeserializedValue();
        }
        byte[] existingBytes = existing.getDeserializedValue();
        byte[] mergingBytes = merging.getDeserializedValue();
        ActiveKeyEntry kept = ActiveKeyEntry.fromBytes(existingBytes);
        // newer() returns one of its arguments, and the existing one on a tie.
        return ActiveKeyEntry.newer(kept, ActiveKeyEntry.fromBytes(mergingBytes)) == kept ? existingBytes : mergingBytes;
    }

    @Override
    public void writeData(ObjectDataOutput out) {
        // stateless
    }

    @Override
    public void readData(ObjectDataInput in) {
        // stateless
    }
}
