package io.latchkey.edge;

import static io.latchkey.edge.GatewayRoutes.problem;

import io.latchkey.validator.redis.RedisLink;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link GatewayRoutes} on a port of their own ({@code latchkey.edge.gateway-port}), served by Netty: a request is
 * decoded, decided and answered on the event loop that read it, with none of the servlet container's machinery, which
 * cost several times the decision itself under load (docs/benchmarks.md). With a Redis link, each loop has a Redis
 * connection of its own, so a decision that asks Redis is sent, and its reply read and answered, on the same thread
 * too. Every other path is 404 here; health and metrics stay on the service's port.
 *
 * <p>An answer that may wait on the query side (the replica not current) is decided on a bounded pool instead (503
 * when all of it waits). A decision that asks Redis (exact rate-limit mode, a quota, an empty local-sync lease) never
 * blocks the loop: the loop sends the command and serves other connections, and the answer is made and written on the
 * loop when Redis replies or the limiter's budget (5 ms) runs out. Either way the connection's later requests wait
 * their turn, so pipelined answers keep their order, and reading from it pauses while one waits behind another.
 * Limits: request line and headers 8 KiB each (414 and 431 beyond), bodies 8 KiB (413; gateways send none), and a
 * connection idle for 60 s is closed.
 */
final class GatewayServer implements AutoCloseable {

    private static final int MAX_LINE = 8192;
    private static final int MAX_HEADERS = 8192;
    private static final int IDLE_SECONDS = 60;
    /** Threads that may wait on the query side at once. */
    private static final int MAX_WAITING = 64;
    /**
     * How long a closing listener waits for the answers it owes: longer than any waits (the query side's 1 s, or a
     * Redis budget per limiter). A connection still waiting after it goes with the loops.
     */
    private static final long DRAIN_MILLIS = 5_000;
    /** Requests of one connection held while an earlier one waits. */
    private static final int MAX_QUEUED = 64;
    private static final Logger log = LoggerFactory.getLogger(GatewayServer.class);
    /** Whether Netty's native epoll transport loads here: asked once, for the loops and the channel alike. */
    private static final boolean EPOLL = Epoll.isAvailable();

    private record DateStamp(long second, String text) {
    }

    private final GatewayRoutes routes;
    private final EventLoopGroup acceptor;
    private final EventLoopGroup loops;
    private final ThreadPoolExecutor waiting;
    /** Each loop's own Redis connection, when decisions ask Redis. */
    private final RedisLink.LoopConnections redis;
    private final Channel listener;
    /** Every open connection, for a closing listener to drain. */
    private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    /** Set once the listener closes: each connection closes after the answers it owes. */
    private volatile boolean draining;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile DateStamp date = new DateStamp(-1, "");
    private final long requestTimeoutNanos;
    private final int maxConnections;
    private final LongAdder opened = new LongAdder();
    private final LongAdder refused = new LongAdder();

    /**
     * Binds {@code address:port} (0 picks a free port) with {@code threads} event loops; with {@code redis} (nullable),
     * the limiters' link, each loop gets a Redis connection of its own, so that a decision asking Redis is sent and
     * answered on the loop that holds its request. A request must arrive whole within {@code requestTimeout} of its
     * first byte (the first request, of the connection's opening), and at most {@code maxConnections} are open at
     * once (a further one is closed as it is accepted): a client trickling bytes, or holding many connections, cannot
     * take every connection the edge can open.
     */
    GatewayServer(GatewayRoutes routes, String address, int port, int threads, RedisLink redis, Duration requestTimeout,
                  int maxConnections) {
        this.routes = routes;
        this.requestTimeoutNanos = requestTimeout.toNanos();
        this.maxConnections = maxConnections;
        acceptor = loops(1, new DefaultThreadFactory("latchkey-gateway-accept", true));
        loops = loops(threads, new DefaultThreadFactory("latchkey-gateway", true));
        this.redis = redis != null ? redis.serveOn(loops) : () -> { };
        // No queue: with all threads waiting on the query side, a further check is refused with 503 at once.
        waiting = new ThreadPoolExecutor(0, MAX_WAITING, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                new DefaultThreadFactory("latchkey-gateway-fallback", true));
        try {
            listener = new ServerBootstrap().group(acceptor, loops)
                    .channel(EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    // A client that shuts its output after a check still reads the answer: Exchange closes after it.
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            if (connections.size() >= maxConnections) {
                                refused.increment();
                                channel.close();
                                return;
                            }
                            opened.increment();
                            channel.pipeline().addLast(new IdleStateHandler(0, 0, IDLE_SECONDS, TimeUnit.SECONDS),
                                    new RequestDeadline(),
                                    new CombinedChannelDuplexHandler<>(new RequestDecoder(),
                                            new HttpResponseEncoder()),
                                    new HttpServerKeepAliveHandler(),
                                    new ProblemAggregator(),
                                    new Exchange());
                            connections.add(channel);
                        }
                    })
                    .bind(address, port).syncUninterruptibly().channel();
        } catch (Throwable e) {
            // Bind failures arrive undeclared (a checked BindException): release the threads for any of them.
            close();
            throw e;
        }
    }

    /** Event loops on epoll where its native transport loads (fewer system calls per request than NIO), else NIO. */
    private static EventLoopGroup loops(int threads, DefaultThreadFactory threadFactory) {
        return EPOLL ? new EpollEventLoopGroup(threads, threadFactory)
                : new NioEventLoopGroup(threads, threadFactory);
    }

    int openConnections() {
        return connections.size();
    }

    long connectionsOpened() {
        return opened.sum();
    }

    long connectionsRefused() {
        return refused.sum();
    }

    int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    /**
     * Stops accepting and drains: an idle connection closes at once, and a busy one once the answers it owes are
     * written, the last with {@code Connection: close} (at most {@value #DRAIN_MILLIS} ms in all); then the loops and
     * the waiting pool stop. A gateway that sends a request on an idle connection as it closes sees it closed, as with
     * any server closing a keep-alive connection, and tries another.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
        acceptor.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        draining = true;
        // Connections accepted a moment ago join the group on their loop: tasks run in order, so after these they have.
        for (EventExecutor loop : loops) {
            loop.submit(() -> { }).syncUninterruptibly();
        }
        for (Channel connection : connections) {
            ChannelHandlerContext context = connection.pipeline().context(Exchange.class);
            if (context != null) {
                onLoop(connection.eventLoop()).execute(() -> ((Exchange) context.handler()).drain(context));
            }
        }
        connections.newCloseFuture().awaitUninterruptibly(DRAIN_MILLIS);
        // While the loops run: their calls in flight on them are answered there, and closing a loop would cut them off.
        redis.close();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        waiting.shutdownNow();
    }

    /** Netty's aggregator, whose own 413 has no body: this one answers with a problem, as every refusal here does. */
    private final class ProblemAggregator extends HttpObjectAggregator {

        /** Closing the connection after refusing an expectation, as the refusal's Connection header says. */
        ProblemAggregator() {
            super(GatewayRoutes.MAX_BODY, true);
        }

        /**
         * Netty's own refusals of a request that expects 100-continue (413 for a declared body over the limit, 417 for
         * an expectation other than 100-continue) have no body: these are problems, as every other refusal here.
         */
        @Override
        protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
            Object answer = super.newContinueResponse(start, maxContentLength, pipeline);
            if (!(answer instanceof HttpResponse refused)
                    || refused.status().codeClass() != HttpStatusClass.CLIENT_ERROR) {
                return answer;
            }
            GatewayRoutes.Answer problem = refused.status().code() == 413
                    ? GatewayRoutes.TOO_LARGE
                    : problem(417, "expectation-failed", "The request's Expect header asks for something unsupported.");
            ReferenceCountUtil.release(answer);
            return response(((HttpRequest) start).method(), problem, true);
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext context, HttpMessage oversized) {
            // A server's aggregator only ever sees requests.
            write(context, ((HttpRequest) oversized).method(),
                    GatewayRoutes.TOO_LARGE, true);
        }
    }

    /**
     * Netty's request decoder, which with a chunked Transfer-Encoding and a Content-Length reads the chunks and keeps
     * the connection: a proxy before the edge that went by the length sees another request where this one ends (request
     * smuggling). RFC 9112 (6.1, 6.3) asks a server to close the connection after answering such a request, and to
     * refuse one whose Transfer-Encoding it cannot read by its chunks alone. Any request with both headers is refused
     * here, in any HTTP version: thrown while its headers are read, the decoder marks it malformed and discards every
     * byte after it, so no request behind it is decided, and the refusal closes the connection.
     */
    private static final class RequestDecoder extends HttpRequestDecoder {

        RequestDecoder() {
            super(MAX_LINE, MAX_HEADERS, GatewayRoutes.MAX_BODY);
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage message) {
            HttpHeaders headers = message.headers();
            if (headers.contains(HttpHeaderNames.TRANSFER_ENCODING)
                    && headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
                throw new BothLengths();
            }
            return super.isContentAlwaysEmpty(message);
        }
    }

    /** A request with both a Content-Length and a Transfer-Encoding. */
    private static final class BothLengths extends IllegalArgumentException {
    }

    /**
     * Closes a connection whose request has not arrived whole within the request timeout: the first from the moment
     * the connection opened (one that never sends would otherwise hold a place under the connection cap until the
     * idle timeout), each later one from its first byte. A busy connection schedules one check per timeout, not one
     * per request.
     */
    private final class RequestDeadline extends ChannelInboundHandlerAdapter {

        /** When the first byte of the request still arriving was read ({@link System#nanoTime}); 0 when none is. */
        private long pendingSince;
        private boolean checking;

        @Override
        public void channelActive(ChannelHandlerContext context) {
            begin(context);
            context.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext context, Object bytes) {
            if (pendingSince == 0) {
                begin(context);
            }
            context.fireChannelRead(bytes);
        }

        /** A request starts arriving now; a check is scheduled unless one already is. */
        private void begin(ChannelHandlerContext context) {
            pendingSince = System.nanoTime() | 1;
            if (!checking) {
                checking = true;
                check(context, requestTimeoutNanos);
            }
        }

        /** The request being read has arrived whole (called by the exchange, on this loop). */
        void arrived() {
            pendingSince = 0;
        }

        private void check(ChannelHandlerContext context, long delayNanos) {
            context.executor().schedule(() -> {
                if (pendingSince == 0) {
                    checking = false;
                } else if (System.nanoTime() - pendingSince >= requestTimeoutNanos) {
                    context.close();
                } else {
                    check(context, pendingSince + requestTimeoutNanos - System.nanoTime());
                }
            }, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** One connection's requests, answered in the order they came. */
    private final class Exchange extends SimpleChannelInboundHandler<FullHttpRequest> {

        private final ArrayDeque<FullHttpRequest> queued = new ArrayDeque<>();
        private boolean answering;
        private boolean inputShut;
        /** Set once the connection is to close after the answers written: nothing is read any more. */
        private boolean closing;
        /** Where answers made later are written: the connection's loop, made once rather than per request. */
        private Executor loop;
        private RequestDeadline deadline;

        @Override
        public void handlerAdded(ChannelHandlerContext context) {
            loop = onLoop(context.executor());
            deadline = context.pipeline().get(RequestDeadline.class);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext context, FullHttpRequest request) {
            deadline.arrived();
            if (!answering) {
                handle(context, request);
            } else if (queued.size() < MAX_QUEUED) {
                queued.add(request.retain());
                // Read no further until the connection is caught up; a lone waiting request costs no system call.
                context.channel().config().setAutoRead(false);
            } else {
                // Reading stops once a request queues behind a waiting one: only requests already read can get here.
                context.close();
            }
        }

        private void handle(ChannelHandlerContext context, FullHttpRequest request) {
            if (request.decoderResult().isFailure()) {
                write(context, request, malformed(request.decoderResult().cause()), true);
            } else if (!oneHost(request)) {
                // RFC 9112 (3.2), as Tomcat answers on the service port: two hosts leave the one meant to the reader.
                write(context, request, problem(400, "malformed-request", "The request needs exactly one Host header."),
                        true);
            } else if (!routes.mayWait()) {
                // Decided on the loop, which must not wait for the query side should the replica stop being current
                // before the decision reads it again.
                CompletableFuture<GatewayRoutes.Answer> answer = safely(request, loop, false);
                if (answer.isDone()) {
                    write(context, request, answer.join(), last());
                } else {
                    // A limiter waits on Redis: the loop serves other connections meanwhile.
                    pause();
                    answer.thenAccept(later -> deliver(context, request, later));
                }
            } else {
                pause();
                try {
                    waiting.execute(() -> deliver(context, request,
                            safely(request, loop, true).join()));
                } catch (RejectedExecutionException busy) {
                    answered(context, request, routes.busy());
                }
            }
        }

        /**
         * Whether the answer about to be written is the connection's last: the listener drains, or the client has
         * shut its side, and none waits.
         */
        private boolean last() {
            return (draining || inputShut) && queued.isEmpty();
        }

        /** Closes the connection once it owes no answer; otherwise {@link #last} closes it after the last. */
        void drain(ChannelHandlerContext context) {
            if (!answering && queued.isEmpty()) {
                // No further request is read: its answer would come after the close. The close comes after the
                // answers written but not yet taken by the socket, which closing at once would drop.
                closing = true;
                context.channel().config().setAutoRead(false);
                context.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
        }

        /** Writes an answer; one after which the connection closes ends reading too. */
        private void write(ChannelHandlerContext context, FullHttpRequest request, GatewayRoutes.Answer answer,
                           boolean close) {
            closing |= close;
            GatewayServer.this.write(context, request.method(), answer, close);
        }

        /** Holds this connection's further requests until the one being decided is answered, in order. */
        private void pause() {
            answering = true;
        }

        /** Writes an answer made later: at once on the connection's loop (Redis answered there), else handed to it. */
        private void deliver(ChannelHandlerContext context, FullHttpRequest request, GatewayRoutes.Answer answer) {
            loop.execute(() -> answered(context, request, answer));
        }

        private void answered(ChannelHandlerContext context, FullHttpRequest request, GatewayRoutes.Answer answer) {
            answering = false;
            write(context, request, answer, last());
            FullHttpRequest next;
            while (!answering && (next = queued.poll()) != null) {
                try {
                    handle(context, next);
                } finally {
                    next.release();
                }
            }
            resumeReading(context);
        }

        /**
         * Reading goes on once no request waits and the client has taken its answers: one that sends checks without
         * reading the answers is read no further, so its answers cannot pile up in this edge's memory.
         */
        private void resumeReading(ChannelHandlerContext context) {
            if (!answering && !closing && context.channel().isWritable()) {
                // Unchanged, and no system call, unless reading was off.
                context.channel().config().setAutoRead(true);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext context) throws Exception {
            resumeReading(context);
            super.channelWritabilityChanged(context);
        }

        @Override
        public void channelInactive(ChannelHandlerContext context) throws Exception {
            queued.forEach(FullHttpRequest::release);
            queued.clear();
            super.channelInactive(context);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext context, Object event) throws Exception {
            if (event instanceof IdleStateEvent) {
                context.close();
            } else if (event instanceof ChannelInputShutdownEvent) {
                // The client sent all it will (a shutdown of its output): the answers it is owed still go out.
                inputShut = true;
                drain(context);
            } else {
                super.userEventTriggered(context, event);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
            log.debug("gateway connection closed after {}", cause.getClass().getName());
            context.close();
        }
    }

    /**
     * Runs a task at once on {@code loop}'s own thread (where its Redis connection's replies are read), else hands it
     * to the loop. A loop that has shut down runs nothing more: the task runs here then, so that whatever waits on it
     * ends (the connection closed with the loop, and an answer written to it goes nowhere).
     */
    private static Executor onLoop(EventExecutor loop) {
        return task -> {
            if (loop.inEventLoop()) {
                task.run();
                return;
            }
            try {
                loop.execute(task);
            } catch (RejectedExecutionException closed) {
                task.run();
            }
        };
    }

    /**
     * The route's answer, now or once a limiter's backend has answered (then made on the connection's loop); a failure
     * anywhere is a 500 (its class logged, never the request, which may carry a key), never no answer.
     */
    private CompletableFuture<GatewayRoutes.Answer> safely(FullHttpRequest request, Executor loop, boolean mayAsk) {
        CompletableFuture<GatewayRoutes.Answer> answer;
        try {
            answer = answer(request, loop, mayAsk).toCompletableFuture();
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        return answer.exceptionally(failure -> {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            log.error("gateway check failed: {}", cause.getClass().getName());
            return problem(500, "internal-error", "The check could not be completed.");
        });
    }

    /** Headers are plain objects that outlive the request's buffer, so a deferred answer may still read them. */
    private CompletionStage<GatewayRoutes.Answer> answer(FullHttpRequest request, Executor loop, boolean mayAsk) {
        if (HttpMethod.TRACE.equals(request.method())) {
            // Tomcat refuses TRACE before any filter sees it; the two listeners answer alike.
            return CompletableFuture.completedFuture(problem(405, "method-not-allowed", "TRACE is not answered."));
        }
        String uri = UsageCounter.originForm(request.uri());
        int query = uri.indexOf('?');
        HttpHeaders headers = request.headers();
        CompletionStage<GatewayRoutes.Answer> answer = routes.answer(request.method().name(),
                query < 0 ? uri : uri.substring(0, query), query < 0 ? null : uri.substring(query + 1),
                headers::getAll, loop, mayAsk);
        return answer != null ? answer : CompletableFuture.completedFuture(problem(404, "not-found",
                "This port answers " + GatewayRoutes.AUTHORIZE + " and " + GatewayRoutes.EXT_AUTHZ + " only."));
    }

    /** One Host header, without a comma; HTTP/1.0 may have none. */
    private static boolean oneHost(HttpRequest request) {
        List<String> hosts = request.headers().getAll(HttpHeaderNames.HOST);
        return hosts.size() == 1 ? hosts.get(0).indexOf(',') < 0
                : hosts.isEmpty() && request.protocolVersion().equals(HttpVersion.HTTP_1_0);
    }

    private static GatewayRoutes.Answer malformed(Throwable cause) {
        if (cause instanceof BothLengths) {
            return problem(400, "malformed-request", "The request has both a Content-Length and a Transfer-Encoding.");
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return problem(431, "headers-too-large", "The request's headers are too large.");
        }
        if (cause instanceof TooLongHttpLineException) {
            return problem(414, "uri-too-long", "The request line is too long.");
        }
        return problem(400, "malformed-request", "The request is not valid HTTP.");
    }

    private void write(ChannelHandlerContext context, HttpMethod method, GatewayRoutes.Answer answer, boolean close) {
        FullHttpResponse response = response(method, answer, close);
        if (close) {
            context.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        } else {
            context.writeAndFlush(response);
        }
        if (!context.channel().isWritable()) {
            // Answers wait for the client to read them: read no more requests until it has (Exchange resumes).
            context.channel().config().setAutoRead(false);
        }
    }

    /** The answer as a response; {@code close} says the connection closes after it. */
    private FullHttpResponse response(HttpMethod method, GatewayRoutes.Answer answer, boolean close) {
        byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
        boolean head = HttpMethod.HEAD.equals(method);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(answer.status()), head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        HttpHeaders headers = response.headers();
        answer.headers().forEach(headers::set);
        headers.set(HttpHeaderNames.CONTENT_TYPE, answer.contentType())
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.DATE, date());
        if (close) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }

    /** RFC 9110 asks an origin server with a clock for a Date; formatted once a second, not per answer. */
    private String date() {
        long now = System.currentTimeMillis();
        DateStamp stamp = date;
        if (stamp.second() != now / 1000) {
            stamp = new DateStamp(now / 1000, DateFormatter.format(new Date(now)));
            date = stamp;
        }
        return stamp.text();
    }
}
