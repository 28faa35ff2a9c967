package io.latchkey.support.store;

import de.bwaldvogel.mongo.bson.ObjectId;
import java.nio.ByteBuffer;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.BasicDataType;
import org.h2.mvstore.type.ObjectDataType;

/**
 * How the indexes' maps write a document's position: an {@link ObjectId} (every event's) as its 12 bytes behind a
 * tag of its own, where {@link ObjectDataType} writes it with Java serialization, a stream and class descriptor for
 * each of the thousands of index entries an append of usage events changes. Other positions, and entries written
 * before, are read and written as before, so a store needs no migration; as with {@link BsonDocumentType}, a release
 * without this type stops at the tag rather than misreading it.
 */
final class IndexPositionType extends BasicDataType<Object> {

    /** A tag that {@link ObjectDataType} never writes and refuses to read ({@link BsonDocumentType} has 127). */
    static final byte OBJECT_ID = 126;
    private static final int OBJECT_ID_LENGTH = 12;

    private final ObjectDataType plain = new ObjectDataType();

    @Override
    public int getMemory(Object position) {
        return position.getClass() == ObjectId.class ? 48 : plain.getMemory(position);
    }

    @Override
    public void write(WriteBuffer out, Object position) {
        if (position.getClass() == ObjectId.class) {
            out.put(OBJECT_ID).put(((ObjectId) position).toByteArray());
        } else {
            plain.write(out, position);
        }
    }

    @Override
    public Object read(ByteBuffer in) {
        if (in.get(in.position()) != OBJECT_ID) {
            return plain.read(in);
        }
        in.get();
        byte[] bytes = new byte[OBJECT_ID_LENGTH];
        in.get(bytes);
        return new ObjectId(bytes);
    }

    @Override
    public Object[] createStorage(int size) {
        return new Object[size];
    }

    /** Values are compared only to tell whether a stored one is the same; as the plain backend does. */
    @Override
    public int compare(Object a, Object b) {
        return plain.compare(a, b);
    }
}
