package io.latchkey.edge;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Calls whose whole answer, body included, comes within a deadline. On Java 17 a request's own timeout ends once the
 * answer's headers are in, so a peer (or a proxy) that stalls the body would hold the calling thread for good.
 */
final class HttpAnswers {

    private HttpAnswers() {
    }

    /**
     * The answer, read by {@code body}, within {@code timeout}; an {@link HttpTimeoutException} when it is not whole by
     * then, and the call is given up.
     */
    static <T> HttpResponse<T> within(HttpClient http, HttpRequest request, HttpResponse.BodyHandler<T> body,
                                      Duration timeout) throws IOException, InterruptedException {
        CompletableFuture<HttpResponse<T>> sent = http.sendAsync(request, body);
        try {
            return sent.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException late) {
            sent.cancel(true);
            throw new HttpTimeoutException("no whole answer within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            sent.cancel(true);
            throw e;
        } catch (ExecutionException failed) {
            if (failed.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(failed.getCause());
        }
    }

    /**
     * Whether a call failed because its peer took it and did not answer whole in time, rather than was not reached: a
     * connection not made within the connect timeout is a peer not reached.
     */
    static boolean late(IOException failure) {
        return failure instanceof HttpTimeoutException && !(failure instanceof HttpConnectTimeoutException);
    }

    /** A body's first {@code limit} bytes; the rest is not read (none for 0, and the connection is not reused). */
    static HttpResponse.BodySubscriber<byte[]> firstBytes(int limit) {
        return new FirstBytes(limit);
    }

    private static final class FirstBytes implements HttpResponse.BodySubscriber<byte[]> {

        private final int limit;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final CompletableFuture<byte[]> body = new CompletableFuture<>();
        private Flow.Subscription subscription;

        FirstBytes(int limit) {
            this.limit = limit;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(Flow.Subscription given) {
            subscription = given;
            if (limit == 0) {
                given.cancel();
                body.complete(new byte[0]);
            } else {
                given.request(1);
            }
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            for (ByteBuffer buffer : buffers) {
                byte[] chunk = new byte[Math.min(buffer.remaining(), limit - bytes.size())];
                buffer.get(chunk);
                bytes.write(chunk, 0, chunk.length);
            }
            if (bytes.size() >= limit) {
                subscription.cancel();
                body.complete(bytes.toByteArray());
            } else {
                subscription.request(1);
            }
        }

        @Override
        public void onError(Throwable failure) {
            body.completeExceptionally(failure);
        }

        @Override
        public void onComplete() {
            body.complete(bytes.toByteArray());
        }
    }
}
