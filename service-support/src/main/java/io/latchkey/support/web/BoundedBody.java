package io.latchkey.support.web;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

/**
 * A request whose body may be read up to a limit only, for bodies sent without a length (chunked): reading past it
 * fails with {@link TooLarge}, which {@link ProblemAdvice} answers with 413. A body is parsed whole before any
 * controller checks it, so without a limit one caller could fill the service's heap with a single request. Reading
 * a byte that shows the body is not UTF-8 fails with {@link NotUtf8}, answered 415, before anything changes.
 */
final class BoundedBody extends HttpServletRequestWrapper {

    private static final byte[] UTF8_BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    /** Reading went past the limit; an {@link IOException} so that the JSON reader passes it on as its cause. */
    static final class TooLarge extends IOException {
        TooLarge(long limit) {
            super("request body longer than " + limit + " bytes");
        }
    }

    /**
     * The body is JSON in UTF-16 or UTF-32, which Jackson would detect and read when no charset is declared: their
     * JSON always holds a 0x00 byte, which UTF-8 JSON never does (a control character in it must be escaped). Or it
     * starts with a byte order mark, which RFC 8259 forbids and Jackson would skip.
     */
    static final class NotUtf8 extends IOException {
        NotUtf8() {
            super("request body not in UTF-8");
        }
    }

    private final long limit;
    private ServletInputStream bounded;

    BoundedBody(HttpServletRequest request, long limit) {
        super(request);
        this.limit = limit;
    }

    @Override
    public ServletInputStream getInputStream() throws IOException {
        if (bounded == null) {
            bounded = new Bounded(super.getInputStream(), limit);
        }
        return bounded;
    }

    @Override
    public BufferedReader getReader() throws IOException {
        String encoding = getCharacterEncoding();
        return new BufferedReader(new InputStreamReader(getInputStream(),
                encoding == null ? StandardCharsets.UTF_8 : Charset.forName(encoding)));
    }

    private static final class Bounded extends ServletInputStream {
        private final ServletInputStream body;
        private final long limit;
        private long read;
        private int bomBytes;

        Bounded(ServletInputStream body, long limit) {
            this.body = body;
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = body.read();
            if (b >= 0) {
                utf8((byte) b, read);
                counted(1);
            }
            return b;
        }

        @Override
        public int read(byte[] into, int offset, int length) throws IOException {
            int n = body.read(into, offset, length);
            if (n > 0) {
                for (int i = 0; i < n; i++) {
                    utf8(into[offset + i], read + i);
                }
                counted(n);
            }
            return n;
        }

        /** Byte {@code b}, at {@code at} in the body, shows the body is not UTF-8 JSON: {@link NotUtf8}. */
        private void utf8(byte b, long at) throws NotUtf8 {
            if (b == 0 || at == bomBytes && at < UTF8_BOM.length && b == UTF8_BOM[bomBytes]
                    && ++bomBytes == UTF8_BOM.length) {
                throw new NotUtf8();
            }
        }

        private void counted(int n) throws TooLarge {
            read += n;
            if (read > limit) {
                throw new TooLarge(limit);
            }
        }

        @Override
        public boolean isFinished() {
            return body.isFinished();
        }

        @Override
        public boolean isReady() {
            return body.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
            body.setReadListener(listener);
        }
    }
}
