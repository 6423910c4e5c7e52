package io.outpost.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Requests the gateway makes on its own account (replica deliveries, mirror copies): a small
 * HTTP/1.1 client with keep-alive connections per target and event loop, so a request and its
 * answer stay on the loop that sent it. An https target is reached through its {@link
 * UpstreamTarget#tls() TLS settings}, as proxied requests are, and host names go to the
 * non-blocking resolver. The caller writes the whole request as bytes; the answer is aggregated
 * (capped). A failed connect or TLS handshake, a reset or a timeout before the response head is
 * "not reached"; any response head counts as an answer, whatever happens to its body afterwards.
 * A pooled connection unused for the idle timeout (90 s) is closed, and so is one whose answer
 * sends nothing for that long.
 */
public final class OutboundClient implements AutoCloseable {

    /**
     * What became of one request: a status ({@code 0} = not reached), headers and body, of which at
     * most {@code maxResponseBytes} are kept. {@code truncated} when the body is not all there: it was
     * longer ({@code cause} null), or it broke off after the head ({@code cause} says how).
     */
    public record Result(int status, List<Map.Entry<String, String>> headers, byte[] body, boolean truncated,
                         Throwable cause) {
        public static Result notReached(Throwable cause) {
            return new Result(0, List.of(), new byte[0], false, cause);
        }

        public boolean reached() {
            return status > 0;
        }
    }

    /** How long a pooled connection may sit unused before it is closed, as for proxied requests. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(90);

    private final Bootstrap bootstrap;
    private final DnsAddressResolverGroup resolvers;
    private final int maxResponseBytes;
    private final long idleTimeoutMillis;
    private volatile Timeouts timeouts = new Timeouts(5_000, TimeUnit.SECONDS.toNanos(60));
    private final Map<PoolKey, ConcurrentLinkedDeque<Channel>> idle = new ConcurrentHashMap<>();

    /** Connecting (TLS handshake included), and waiting for the response head. */
    private record Timeouts(int connectMillis, long responseHeaderNanos) {
        static Timeouts of(Duration connect, Duration responseHeader) {
            return new Timeouts((int) Math.max(1, Math.min(Integer.MAX_VALUE, connect.toMillis())),
                    Math.max(1, responseHeader.toNanos()));
        }
    }

    /** Idle connections are kept per target (with its TLS settings) and per event loop. */
    private record PoolKey(String target, EventLoop loop) {
    }

    /** @param maxResponseBytes how much of an answer's body is kept; at the limit the connection is closed */
    public OutboundClient(Transport transport, int maxResponseBytes) {
        this(transport, maxResponseBytes, DEFAULT_IDLE_TIMEOUT);
    }

    public OutboundClient(Transport transport, int maxResponseBytes, Duration idleTimeout) {
        this.maxResponseBytes = maxResponseBytes;
        this.idleTimeoutMillis = Math.max(1, idleTimeout.toMillis());
        this.resolvers = transport.newResolverGroup();
        this.bootstrap = new Bootstrap().channel(transport.clientChannel()).resolver(resolvers)
                .option(ChannelOption.TCP_NODELAY, true);
    }

    /** Sets the connect (TLS handshake included) and response-head timeouts of later requests. */
    public void timeouts(Duration connect, Duration responseHeader) {
        timeouts = Timeouts.of(connect, responseHeader);
    }

    /**
     * Sends the request that {@code request} writes to {@code target}, over a connection of
     * {@code loop}; the result completes on {@code loop}. Never fails, a failure is a not-reached
     * result. {@code request} may be called twice: a pooled connection the peer had closed is
     * retried once on a fresh one.
     */
    public CompletableFuture<Result> send(UpstreamTarget target, Function<ByteBufAllocator, ByteBuf> request,
                                          EventLoop loop) {
        return send(target, request, loop, timeouts);
    }

    /** As {@link #send(UpstreamTarget, Function, EventLoop)}, with this call's own timeouts. */
    public CompletableFuture<Result> send(UpstreamTarget target, Function<ByteBufAllocator, ByteBuf> request,
                                          EventLoop loop, Duration connect, Duration responseHeader) {
        return send(target, request, loop, Timeouts.of(connect, responseHeader));
    }

    private CompletableFuture<Result> send(UpstreamTarget target, Function<ByteBufAllocator, ByteBuf> request,
                                           EventLoop loop, Timeouts t) {
        CompletableFuture<Result> result = new CompletableFuture<>();
        if (loop.inEventLoop()) {
            sendOnLoop(target, request, loop, t, result);
        } else {
            loop.execute(() -> sendOnLoop(target, request, loop, t, result));
        }
        return result;
    }

    private void sendOnLoop(UpstreamTarget target, Function<ByteBufAllocator, ByteBuf> request, EventLoop loop,
                            Timeouts t, CompletableFuture<Result> result) {
        // The key names the TLS settings too: connections made with other ones are not reused.
        PoolKey key = new PoolKey(target.key(), loop);
        Channel pooled = pollIdle(key);
        if (pooled != null) {
            start(pooled, key, target, request, t, true, result);
        } else {
            connectAndStart(key, target, request, t, result);
        }
    }

    private void connectAndStart(PoolKey key, UpstreamTarget target, Function<ByteBufAllocator, ByteBuf> request,
                                 Timeouts t, CompletableFuture<Result> result) {
        Bootstrap b = bootstrap.clone(key.loop()).option(ChannelOption.CONNECT_TIMEOUT_MILLIS, t.connectMillis())
                .handler(pipeline(target, t.connectMillis()));
        b.connect(target.host(), target.port()).addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                result.complete(Result.notReached(f.cause()));
                return;
            }
            f.channel().closeFuture().addListener(c -> forget(key, f.channel()));
            if (!target.secure()) {
                start(f.channel(), key, target, request, t, false, result);
                return;
            }
            // A failed handshake is a failed connect: the request never got in.
            f.channel().pipeline().get(SslHandler.class).handshakeFuture().addListener(h -> {
                if (h.isSuccess()) {
                    start(f.channel(), key, target, request, t, false, result);
                } else {
                    f.channel().close();
                    result.complete(Result.notReached(h.cause()));
                }
            });
        });
    }

    /** The pipeline of a new connection: TLS first for an https target, then HTTP/1.1. */
    private ChannelInitializer<SocketChannel> pipeline(UpstreamTarget target, int handshakeMillis) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                if (target.secure()) {
                    SslHandler handler = target.tls().newHandler(ch.alloc(), target.host(), target.port());
                    // The handshake is part of connecting: it gets the connect timeout, not ten seconds.
                    handler.setHandshakeTimeoutMillis(handshakeMillis);
                    ch.pipeline().addLast(handler);
                }
                ch.pipeline().addLast(new HttpClientCodec(4096, 16384, 65536))
                        .addLast(new Call());
            }
        };
    }

    /** Runs on the channel's loop, which is the pool key's loop. */
    private void start(Channel ch, PoolKey key, UpstreamTarget target, Function<ByteBufAllocator, ByteBuf> request,
                       Timeouts t, boolean reused, CompletableFuture<Result> result) {
        Call call = ch.pipeline().get(Call.class);
        CompletableFuture<Result> attempt = new CompletableFuture<>();
        attempt.whenComplete((r, e) -> {
            if (reused && !r.reached() && !call.sawBytes && !(r.cause() instanceof TimeoutException)) {
                // A pooled connection the peer had closed: the request never got in. Once more, fresh.
                connectAndStart(key, target, request, t, result);
            } else {
                result.complete(r);
            }
        });
        call.begin(key, attempt, t.responseHeaderNanos());
        // Written below the codec: the caller encoded the request.
        call.codec.writeAndFlush(request.apply(ch.alloc())).addListener(w -> {
            if (!w.isSuccess()) {
                call.fail(w.cause());
            }
        });
    }

    private static final byte[] HTTP_1_1 = " HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CRLF = {'\r', '\n'};

    /** Writes a request line; header lines and {@link #endHead} follow. */
    public static ByteBuf requestLine(ByteBuf buf, String method, String pathAndQuery) {
        ascii(buf, method).writeByte(' ');
        return ascii(buf, pathAndQuery).writeBytes(HTTP_1_1);
    }

    /** Writes one header line, byte for byte (ISO-8859-1), as a client sent it. */
    public static ByteBuf header(ByteBuf buf, String name, String value) {
        ascii(buf, name).writeByte(':').writeByte(' ');
        return ascii(buf, value).writeBytes(CRLF);
    }

    /** Ends the head; the body follows. */
    public static ByteBuf endHead(ByteBuf buf) {
        return buf.writeBytes(CRLF);
    }

    /** The {@code Host} value for a host and port: IPv6 literals in brackets. */
    public static String authority(String host, int port) {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    private static ByteBuf ascii(ByteBuf buf, String s) {
        buf.writeCharSequence(s, StandardCharsets.ISO_8859_1);
        return buf;
    }

    private Channel pollIdle(PoolKey key) {
        ConcurrentLinkedDeque<Channel> q = idle.get(key);
        if (q == null) {
            return null;
        }
        Channel ch;
        while ((ch = q.pollLast()) != null) {
            if (ch.isActive()) {
                return ch;
            }
        }
        return null;
    }

    private void release(PoolKey key, Channel ch) {
        if (ch.isActive()) {
            idle.computeIfAbsent(key, k -> new ConcurrentLinkedDeque<>()).addLast(ch);
        }
    }

    private void forget(PoolKey key, Channel ch) {
        ConcurrentLinkedDeque<Channel> q = idle.get(key);
        if (q != null) {
            q.remove(ch);
        }
    }

    /** Open connections waiting in the pool. */
    public int idleConnections() {
        int n = 0;
        for (ConcurrentLinkedDeque<Channel> q : idle.values()) {
            n += q.size();
        }
        return n;
    }

    @Override
    public void close() {
        idle.values().forEach(q -> q.forEach(Channel::close));
        idle.clear();
        resolvers.close();
    }

    /** The one request a connection carries at a time; runs on the connection's event loop. */
    private final class Call extends ChannelInboundHandlerAdapter {
        private PoolKey pool;
        private CompletableFuture<Result> promise;
        private ScheduledFuture<?> timeout;
        private boolean sawBytes;
        private int status;
        private List<Map.Entry<String, String>> headers;
        private ByteArrayOutputStream body;
        private boolean keepAlive;
        private Channel channel;
        /** Writes through this context skip the codec's request encoder; its response decoder stays. */
        private ChannelHandlerContext codec;
        /** Reads and each request's start are activity: a pooled connection's quiet time starts again at a request. */
        private IdleWatch idleWatch;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            channel = ctx.channel();
            codec = ctx.pipeline().context(HttpClientCodec.class);
            idleWatch = IdleWatch.start(ctx.executor(), idleTimeoutMillis, this::onIdle);
        }

        void begin(PoolKey target, CompletableFuture<Result> p, long headerNanos) {
            idleWatch.touch();
            pool = target;
            promise = p;
            sawBytes = false;
            status = 0;
            body = null;
            timeout = channel.eventLoop().schedule(() -> fail(new TimeoutException(
                    "no response head from " + target.target() + " within "
                            + TimeUnit.NANOSECONDS.toMillis(headerNanos) + "ms")),
                    headerNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                idleWatch.touch();
                if (promise == null) {
                    ctx.close(); // an unsolicited response: the connection is out of step
                    return;
                }
                sawBytes = true;
                if (msg instanceof HttpResponse head) {
                    if (!head.decoderResult().isSuccess()) {
                        fail(head.decoderResult().cause());
                        return;
                    }
                    int code = head.status().code();
                    if (code >= 100 && code < 200) {
                        return;
                    }
                    timeout.cancel(false);
                    status = code;
                    headers = new ArrayList<>(head.headers().size());
                    head.headers().forEach(h -> headers.add(Map.entry(h.getKey(), h.getValue())));
                    keepAlive = HttpUtil.isKeepAlive(head);
                    body = new ByteArrayOutputStream();
                }
                if (msg instanceof HttpContent content && status > 0) {
                    ByteBuf buf = content.content();
                    int room = maxResponseBytes - body.size();
                    int n = Math.min(room, buf.readableBytes());
                    boolean truncated = n < buf.readableBytes();
                    if (n > 0) {
                        byte[] bytes = new byte[n];
                        buf.getBytes(buf.readerIndex(), bytes);
                        body.write(bytes, 0, n);
                    }
                    if (truncated) {
                        // Nothing past the limit is kept, so nothing past it is read: a huge answer would hold
                        // the connection (and the caller's answer) until it ended or went idle.
                        CompletableFuture<Result> p = promise;
                        promise = null;
                        ctx.close();
                        p.complete(new Result(status, headers, body.toByteArray(), true, null));
                    } else if (content instanceof LastHttpContent) {
                        CompletableFuture<Result> p = promise;
                        promise = null;
                        if (keepAlive) {
                            release(pool, ctx.channel());
                        } else {
                            ctx.close();
                        }
                        p.complete(new Result(status, headers, body.toByteArray(), false, null));
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        void fail(Throwable cause) {
            CompletableFuture<Result> p = promise;
            if (p == null) {
                return;
            }
            promise = null;
            if (timeout != null) {
                timeout.cancel(false);
            }
            channel.close();
            if (status > 0) {
                // The head arrived: the peer processed the request; only its body was cut short.
                p.complete(new Result(status, headers, body.toByteArray(), true, cause));
            } else {
                p.complete(Result.notReached(cause));
            }
        }

        /** No bytes for the idle timeout ({@link IdleWatch}: up to a quarter more). */
        private void onIdle() {
            if (promise == null) {
                channel.close(); // unused for the idle timeout: the pool lets it go
            } else {
                // A body that stalls: the answer ends here, with the status if its head came.
                fail(new TimeoutException("no bytes from " + pool.target() + " for " + idleTimeoutMillis + "ms"));
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            idleWatch.stop();
            fail(new java.nio.channels.ClosedChannelException());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(cause);
            ctx.close();
        }
    }
}
