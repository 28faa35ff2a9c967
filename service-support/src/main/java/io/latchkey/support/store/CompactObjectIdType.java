package io.latchkey.support.store;

import de.bwaldvogel.mongo.bson.ObjectId;
import java.nio.ByteBuffer;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.BasicDataType;
import org.h2.mvstore.type.ObjectDataType;

/**
 * How the store's maps write an {@link ObjectId}: the indexes' positions of documents and the collections' keys (every
 * event's {@code _id}), as its 12 bytes behind a tag of its own, where {@link ObjectDataType} writes it with Java
 * serialization, a stream and a class descriptor for each of the thousands of index entries an append of usage events
 * changes, and reads every page of the events' keys back the same way. Other values, and those written before, are read
 * and written as before, so a store needs no migration; as with {@link BsonDocumentType}, a release without this type
 * stops at the tag rather than misreading it. Values compare as {@link ObjectDataType} compares them, so a map keeps
 * its order whichever form its keys were written in.
 */
final class CompactObjectIdType extends BasicDataType<Object> {

    /** A tag that {@link ObjectDataType} never writes and refuses to read ({@link BsonDocumentType} has 127). */
    static final byte OBJECT_ID = 126;
    private static final int OBJECT_ID_LENGTH = 12;

    private final ObjectDataType plain = new ObjectDataType();

    @Override
    public int getMemory(Object value) {
        return value.getClass() == ObjectId.class ? 48 : plain.getMemory(value);
    }

    @Override
    public void write(WriteBuffer out, Object value) {
        if (value.getClass() == ObjectId.class) {
            out.put(OBJECT_ID).put(((ObjectId) value).toByteArray());
        } else {
            plain.write(out, value);
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

    @Override
    public int compare(Object a, Object b) {
        return plain.compare(a, b);
    }
}
