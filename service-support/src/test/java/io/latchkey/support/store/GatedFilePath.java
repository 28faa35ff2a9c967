package io.latchkey.support.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.h2.store.fs.FileBase;
import org.h2.store.fs.FilePath;
import org.h2.store.fs.FilePathWrapper;

/**
 * H2's file system with a gate: while it is closed, H2's background saving thread waits before it writes, as a slow
 * disk would make it; every force of a file to the disk is counted. Files are named {@code gate:} and their path.
 * Public, with a public constructor, because H2 makes one for each path by reflection.
 */
public final class GatedFilePath extends FilePathWrapper {

    static final String SCHEME = "gate";
    private static volatile CountDownLatch gate;
    private static volatile CountDownLatch saveWaiting = new CountDownLatch(1);
    private static final AtomicInteger forces = new AtomicInteger();

    static {
        FilePath.register(new GatedFilePath());
    }

    public GatedFilePath() {
        // Made by H2 for each path.
    }

    /** Registers the file system (once per JVM) and returns the name H2 opens {@code path} under. */
    static String name(java.nio.file.Path path) {
        return SCHEME + ":" + path;
    }

    static void close() {
        saveWaiting = new CountDownLatch(1);
        gate = new CountDownLatch(1);
    }

    static void open() {
        CountDownLatch closed = gate;
        gate = null;
        if (closed != null) {
            closed.countDown();
        }
    }

    /** Waits until H2's saving thread waits at the closed gate. */
    static boolean awaitSaveWaiting() throws InterruptedException {
        return saveWaiting.await(10, java.util.concurrent.TimeUnit.SECONDS);
    }

    static int forces() {
        return forces.get();
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }

    @Override
    public FileChannel open(String mode) throws IOException {
        return new Gated(getBase().open(mode));
    }

    private static final class Gated extends FileBase {
        private final FileChannel file;

        Gated(FileChannel file) {
            this.file = file;
        }

        private static void pass() throws IOException {
            CountDownLatch closed = gate;
            if (closed != null && Thread.currentThread().getName().startsWith("H2-save")) {
                saveWaiting.countDown();
                try {
                    closed.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted at the gate", e);
                }
            }
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return file.read(dst);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return file.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            pass();
            return file.write(src);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            pass();
            return file.write(src, position);
        }

        @Override
        public long position() throws IOException {
            return file.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            file.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return file.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            file.truncate(size);
            return this;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            forces.incrementAndGet();
            file.force(metaData);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return file.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            file.close();
        }
    }
}
