package io.outpost.replication;

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
import io.netty.channel.EventLoopGroup;
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
import io.outpost.config.TimeoutsConfig;
import io.outpost.journal.Entry;
import io.outpost.journal.Header;
import io.outpost.proxy.Transport;
import io.outpost.tls.UpstreamTls;
import io.outpost.upstream.Endpoint;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends journaled writes to replicas: a small HTTP/1.1 client (over TLS to https endpoints) with
 * keep-alive connections per endpoint and event loop (a delivery and its answer stay on the loop of
 * its session), that sends a full request built from an entry's stored bytes and aggregates the
 * answer (capped). A failed connect or TLS handshake, a reset or a timeout before the response head
 * is "not reached"; any response head counts as an answer, whatever happens to its body afterwards.
 */
final class DeliveryClient implements AutoCloseable {

    /** What became of one delivery: a status ({@code 0} = not reached), headers and (capped) body. */
    record Result(int status, List<Header> headers, byte[] body, Throwable cause) {
        static Result notReached(Throwable cause) {
            return new Result(0, List.of(), new byte[0], cause);
        }

        boolean reached() {
            return status > 0;
        }
    }

    private final Bootstrap bootstrap;
    /** Replicas named by host name share the proxy's event loops, which must never block on a lookup. */
    private final DnsAddressResolverGroup resolvers;
    private volatile int connectTimeoutMillis = 5_000;
    private volatile long responseHeaderTimeoutNanos = TimeUnit.SECONDS.toNanos(60);
    /** How https endpoints are reached; null for the defaults (the JDK's trust store). */
    private volatile UpstreamTls tls;
    private final int maxResponseBytes;
    private final Map<PoolKey, ConcurrentLinkedDeque<Channel>> idle = new ConcurrentHashMap<>();

    /** Idle connections are kept per endpoint and per event loop, so a delivery never changes thread. */
    private record PoolKey(String endpoint, EventLoop loop) {
    }

    DeliveryClient(EventLoopGroup group, Transport transport, int maxResponseBytes) {
        this.maxResponseBytes = maxResponseBytes;
        this.resolvers = transport.newResolverGroup();
        this.bootstrap = new Bootstrap().group(group).channel(transport.clientChannel()).resolver(resolvers)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(pipeline(null, null));
    }

    /** The pipeline of a new connection: TLS first when {@code secure} is set, then HTTP/1.1. */
    private ChannelInitializer<SocketChannel> pipeline(UpstreamTls secure, Endpoint endpoint) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                if (secure != null) {
                    SslHandler handler = secure.newHandler(ch.alloc(), endpoint.host(), endpoint.port());
                    // The handshake is part of connecting: it gets the connect timeout, not ten seconds.
                    handler.setHandshakeTimeoutMillis(connectTimeoutMillis);
                    ch.pipeline().addLast(handler);
                }
                ch.pipeline().addLast(new HttpClientCodec(4096, 16384, 65536))
                        .addLast(new Call());
            }
        };
    }

    /** Sets how later connections to https endpoints verify them and what they present. */
    void tls(UpstreamTls settings) {
        tls = settings;
    }

    /** Sets the connect and response-head timeouts of later deliveries. */
    void timeouts(TimeoutsConfig timeouts) {
        connectTimeoutMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeouts.connect().toMillis()));
        responseHeaderTimeoutNanos = Math.max(1, timeouts.responseHeader().toNanos());
    }

    /**
     * Delivers {@code entry} to {@code endpoint} over a connection of {@code loop}; the result completes
     * on {@code loop}. Never fails, a failure is a not-reached result.
     */
    CompletableFuture<Result> send(Endpoint endpoint, Entry entry, String kind, EventLoop loop) {
        CompletableFuture<Result> result = new CompletableFuture<>();
        if (loop.inEventLoop()) {
            sendOnLoop(endpoint, entry, kind, loop, result);
        } else {
            loop.execute(() -> sendOnLoop(endpoint, entry, kind, loop, result));
        }
        return result;
    }

    private void sendOnLoop(Endpoint endpoint, Entry entry, String kind, EventLoop loop,
                            CompletableFuture<Result> result) {
        UpstreamTls secure = endpoint.scheme().equals("https") ? (tls == null ? UpstreamTls.defaults() : tls) : null;
        // Connections made with other TLS settings are not reused.
        String pool = secure == null || secure.id().isEmpty() ? endpoint.id() : endpoint.id() + "#tls-" + secure.id();
        PoolKey key = new PoolKey(pool, loop);
        Channel pooled = pollIdle(key);
        if (pooled != null) {
            start(pooled, key, secure, endpoint, entry, kind, true, result);
        } else {
            connectAndStart(key, secure, endpoint, entry, kind, result);
        }
    }

    private void connectAndStart(PoolKey key, UpstreamTls secure, Endpoint endpoint, Entry entry, String kind,
                                 CompletableFuture<Result> result) {
        Bootstrap b = bootstrap.clone(key.loop()).option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis);
        if (secure != null) {
            b.handler(pipeline(secure, endpoint));
        }
        b.connect(endpoint.host(), endpoint.port()).addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                result.complete(Result.notReached(f.cause()));
                return;
            }
            if (secure == null) {
                start(f.channel(), key, secure, endpoint, entry, kind, false, result);
                return;
            }
            // A failed handshake is a failed connect: the request never got in.
            f.channel().pipeline().get(SslHandler.class).handshakeFuture().addListener(h -> {
                if (h.isSuccess()) {
                    start(f.channel(), key, secure, endpoint, entry, kind, false, result);
                } else {
                    f.channel().close();
                    result.complete(Result.notReached(h.cause()));
                }
            });
        });
    }

    /** Runs on the channel's loop, which is the pool key's loop. */
    private void start(Channel ch, PoolKey key, UpstreamTls secure, Endpoint endpoint, Entry entry, String kind,
                       boolean reused, CompletableFuture<Result> result) {
        Call call = ch.pipeline().get(Call.class);
        CompletableFuture<Result> attempt = new CompletableFuture<>();
        attempt.whenComplete((r, e) -> {
            if (reused && !r.reached() && !call.sawBytes && !(r.cause() instanceof TimeoutException)) {
                // A pooled connection the replica had closed: the request never got in. Once more, fresh.
                connectAndStart(key, secure, endpoint, entry, kind, result);
            } else {
                result.complete(r);
            }
        });
        call.begin(key, attempt);
        // Written below the codec: the request is encoded here, once, from the entry's stored bytes.
        call.codec.writeAndFlush(request(ch.alloc(), endpoint, entry, kind)).addListener(w -> {
            if (!w.isSuccess()) {
                call.fail(w.cause());
            }
        });
    }

    /**
     * The request as bytes: the entry's method, target, stored headers and body, plus the delivery
     * headers. The stored headers were parsed from the client's request, so they are written back
     * byte for byte (ISO-8859-1), as they came.
     */
    static ByteBuf request(ByteBufAllocator alloc, Endpoint endpoint, Entry entry, String kind) {
        byte[] body = entry.body();
        ByteBuf buf = alloc.buffer(256 + entry.pathAndQuery().length() + 64 * entry.headers().size() + body.length);
        ascii(buf, entry.method()).writeByte(' ');
        ascii(buf, entry.pathAndQuery()).writeBytes(HTTP_1_1);
        for (Header h : entry.headers()) {
            header(buf, h.name(), h.value());
        }
        String host = endpoint.host().indexOf(':') >= 0 ? "[" + endpoint.host() + "]" : endpoint.host();
        header(buf, "Host", host + ":" + endpoint.port());
        header(buf, DeliveryHeaders.IDEMPOTENCY_KEY, entry.idempotencyKey());
        header(buf, DeliveryHeaders.ORIGINAL_TIME, DeliveryHeaders.originalTime(entry.receivedAtMillis()));
        header(buf, DeliveryHeaders.DELIVERY, kind);
        header(buf, "Content-Length", Integer.toString(body.length));
        return buf.writeBytes(CRLF).writeBytes(body);
    }

    private static final byte[] HTTP_1_1 = " HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CRLF = {'\r', '\n'};

    private static void header(ByteBuf buf, String name, String value) {
        ascii(buf, name).writeByte(':').writeByte(' ');
        ascii(buf, value).writeBytes(CRLF);
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

    @Override
    public void close() {
        idle.values().forEach(q -> q.forEach(Channel::close));
        idle.clear();
        resolvers.close();
    }

    /** The one delivery a connection carries at a time; runs on the connection's event loop. */
    private final class Call extends ChannelInboundHandlerAdapter {
        private PoolKey pool;
        private CompletableFuture<Result> promise;
        private ScheduledFuture<?> timeout;
        private boolean sawBytes;
        private int status;
        private List<Header> headers;
        private ByteArrayOutputStream body;
        private boolean keepAlive;
        private Channel channel;
        /** Writes through this context skip the codec's request encoder; its response decoder stays. */
        private ChannelHandlerContext codec;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            channel = ctx.channel();
            codec = ctx.pipeline().context(HttpClientCodec.class);
        }

        void begin(PoolKey target, CompletableFuture<Result> p) {
            pool = target;
            promise = p;
            sawBytes = false;
            status = 0;
            body = null;
            timeout = channel.eventLoop().schedule(() -> fail(new TimeoutException(
                    "no response head from " + target.endpoint() + " within "
                            + TimeUnit.NANOSECONDS.toMillis(responseHeaderTimeoutNanos) + "ms")),
                    responseHeaderTimeoutNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
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
                    head.headers().forEach(h -> headers.add(new Header(h.getKey(), h.getValue())));
                    keepAlive = HttpUtil.isKeepAlive(head);
                    body = new ByteArrayOutputStream();
                }
                if (msg instanceof HttpContent content && status > 0) {
                    ByteBuf buf = content.content();
                    int room = maxResponseBytes - body.size();
                    int n = Math.min(room, buf.readableBytes());
                    if (n > 0) {
                        byte[] bytes = new byte[n];
                        buf.getBytes(buf.readerIndex(), bytes);
                        body.write(bytes, 0, n);
                    }
                    if (content instanceof LastHttpContent) {
                        CompletableFuture<Result> p = promise;
                        promise = null;
                        if (keepAlive) {
                            release(pool, ctx.channel());
                        } else {
                            ctx.close();
                        }
                        p.complete(new Result(status, headers, body.toByteArray(), null));
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
                // The head arrived: the replica processed the write; only its body was cut short.
                p.complete(new Result(status, headers, body.toByteArray(), null));
            } else {
                p.complete(Result.notReached(cause));
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            fail(new java.nio.channels.ClosedChannelException());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(cause);
            ctx.close();
        }
    }
}
