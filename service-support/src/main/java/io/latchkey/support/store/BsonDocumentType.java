package io.latchkey.support.store;

import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.bson.BsonDecoder;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.BasicDataType;
import org.h2.mvstore.type.ObjectDataType;

/**
 * How a collection's documents are written into the store's pages: as BSON behind a tag of their own, where the plain
 * backend writes each with Java serialization (class descriptors and all), for every document of every page H2 writes
 * at a commit and reads back when it loads a page. Pages the plain backend wrote are read as before, so a store
 * needs no migration; a page written here cannot be read by the plain backend (it stops at the unknown tag).
 *
 * <p>A document that would not come back from BSON exactly as it is (equal, with its fields in order and its values
 * of the same types) is written the plain backend's way instead.
 */
final class BsonDocumentType extends BasicDataType<Document> {

    /** A tag that {@link ObjectDataType} never writes and refuses to read. */
    static final byte BSON = 127;

    private final ObjectDataType plain = new ObjectDataType();
    /**
     * What a document is taken to occupy, which decides how many documents H2 puts in a page and its cache holds: as
     * the plain backend estimates a serialized object, twice its stored size in a moving average over what is read and
     * written, from the same start.
     */
    private volatile int averageSize = 10_000;

    @Override
    public int getMemory(Document document) {
        return averageSize;
    }

    @Override
    public void write(WriteBuffer out, Document document) {
        byte[] bson = faithfulBson(document);
        if (bson == null) {
            plain.write(out, document);
        } else {
            learnSize(bson.length);
            out.put(BSON).putVarInt(bson.length).put(bson);
        }
    }

    @Override
    public Document read(ByteBuffer in) {
        if (in.get(in.position()) != BSON) {
            return (Document) plain.read(in);
        }
        in.get();
        int length = DataUtils.readVarInt(in);
        learnSize(length);
        ByteBuffer bson = in.slice();
        bson.limit(length);
        in.position(in.position() + length);
        return BsonDecoder.decodeBson(Unpooled.wrappedBuffer(bson));
    }

    @Override
    public Document[] createStorage(int size) {
        return new Document[size];
    }

    /** Values are compared only to tell whether a stored one is the same; as the plain backend does. */
    @Override
    public int compare(Document a, Document b) {
        return plain.compare(a, b);
    }

    private void learnSize(int stored) {
        averageSize = (int) ((stored * 2L + 15L * averageSize) / 16);
    }

    /** The document's BSON, or null when reading it back would not give an equal document. */
    static byte[] faithfulBson(Document document) {
        if (hasNulInAName(document)) {
            // BSON ends a name at '\0': the rest would be read as a value, with lengths that could be anything.
            return null;
        }
        ByteBuf buffer = Unpooled.buffer(256);
        try {
            BsonEncoder.encodeDocument(document, buffer);
            byte[] bson = new byte[buffer.readableBytes()];
            buffer.getBytes(buffer.readerIndex(), bson);
            return document.equals(BsonDecoder.decodeBson(Unpooled.wrappedBuffer(bson))) ? bson : null;
        } catch (RuntimeException notBson) {
            return null;
        } finally {
            buffer.release();
        }
    }

    private static boolean hasNulInAName(Object value) {
        if (value instanceof Document document) {
            for (var field : document.entrySet()) {
                if (field.getKey() == null || field.getKey().indexOf('\0') >= 0 || hasNulInAName(field.getValue())) {
                    return true;
                }
            }
        } else if (value instanceof Iterable<?> values) {
            for (Object element : values) {
                if (hasNulInAName(element)) {
                    return true;
                }
            }
        }
        return false;
    }
}
