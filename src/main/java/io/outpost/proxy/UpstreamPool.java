package io.outpost.proxy;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslHandler;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Keep-alive connections to upstreams for one event loop. Connections are opened on the loop that
 * owns the client connection, so a proxied request never crosses threads, and the pool needs no
 * locks: every method runs on {@link #loop}.
 */
final class UpstreamPool {

    private final EventLoop loop;
    private final Transport transport;
    private final ByteBufAllocator alloc;
    private final long idleTimeoutMillis;
    private final Map<String, ArrayDeque<Channel>> idle = new HashMap<>();
    private final int maxIdlePerTarget;
    private DnsAddressResolverGroup resolvers;
    private volatile int open;

    UpstreamPool(EventLoop loop, Transport transport, ByteBufAllocator alloc, long idleTimeoutMillis,
                 int maxIdlePerTarget) {
        this.loop = loop;
        this.transport = transport;
        this.alloc = alloc;
        this.idleTimeoutMillis = idleTimeoutMillis;
        this.maxIdlePerTarget = maxIdlePerTarget;
    }

    EventLoop loop() {
        return loop;
    }

    /** An idle connection to {@code target}, or null when none is left. */
    Channel pollIdle(UpstreamTarget target) {
        ArrayDeque<Channel> channels = idle.get(target.key());
        if (channels == null) {
            return null;
        }
        Channel ch;
        while ((ch = channels.pollLast()) != null) {
            if (ch.isActive()) {
                return ch;
            }
        }
        return null;
    }

    /**
     * Opens a connection to {@code target}. Upstream keep-alive limits (nginx closes a connection
     * after 1,000 requests by default) make this a steady-state path, and it runs inside an event
     * loop iteration, so it builds the channel directly: a {@link io.netty.bootstrap.Bootstrap}
     * costs a reflective constructor, copied option and attribute maps, and a resolver per
     * connection (docs/benchmarks.md, "Session 5").
     */
    ChannelFuture connect(UpstreamTarget target, int connectTimeoutMillis) {
        Channel ch = transport.newClientChannel(target.literalAddress());
        ChannelConfig config = ch.config();
        config.setAllocator(alloc);
        config.setRecvByteBufAllocator(Transport.READ_SIZES);
        config.setConnectTimeoutMillis(connectTimeoutMillis);
        // TCP_NODELAY is on already: Netty's socket channels start with it, and setting it again is
        // one more system call per connection.
        config.setOption(ChannelOption.SO_KEEPALIVE, true);
        ChannelPipeline pipeline = ch.pipeline();
        if (target.secure()) {
            pipeline.addLast("tls", target.tls().newHandler(ch.alloc(), target.host(), target.port()));
        }
        pipeline.addLast("codec", new UpstreamCodec())
                .addLast("backend", new BackendHandler(this, idleTimeoutMillis));
        open++;
        ch.closeFuture().addListener(f -> open--);
        ChannelPromise connected = ch.newPromise();
        loop.register(ch).addListener((ChannelFuture registered) -> {
            if (!registered.isSuccess()) {
                ch.unsafe().closeForcibly();
                connected.setFailure(registered.cause());
                return;
            }
            resolve(target).addListener((Future<InetSocketAddress> resolved) -> {
                if (resolved.isSuccess()) {
                    ch.connect(resolved.getNow(), connected);
                } else {
                    ch.close();
                    connected.setFailure(resolved.cause());
                }
            });
        });
        if (!target.secure()) {
            return connected;
        }
        // An https connection is usable once its handshake is done; a failed handshake is a failed connect.
        ChannelPromise ready = ch.newPromise();
        connected.addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                ready.tryFailure(f.cause());
                return;
            }
            ch.pipeline().get(SslHandler.class).handshakeFuture().addListener(h -> {
                if (h.isSuccess()) {
                    ready.trySuccess();
                } else {
                    ready.tryFailure(h.cause());
                    ch.close();
                }
            });
        });
        return ready;
    }

    /**
     * The address to connect to. A literal IP is used as it is; a host name goes to
     * {@link Transport#newResolverGroup() a resolver} that answers on this loop without blocking it.
     */
    private Future<InetSocketAddress> resolve(UpstreamTarget target) {
        InetSocketAddress literal = target.literalAddress();
        if (literal != null) {
            return loop.newSucceededFuture(literal);
        }
        if (resolvers == null) {
            resolvers = transport.newResolverGroup();
        }
        return resolvers.getResolver(loop).resolve(InetSocketAddress.createUnresolved(target.host(), target.port()));
    }

    /**
     * Takes back a connection whose last exchange ended cleanly, to be closed once unused for
     * {@code idleTimeoutMillis} (the service's {@code timeouts.idle}).
     */
    void release(UpstreamTarget target, Channel ch, long idleTimeoutMillis) {
        if (!ch.isActive()) {
            return;
        }
        ArrayDeque<Channel> channels = idle.computeIfAbsent(target.key(), k -> new ArrayDeque<>());
        if (channels.size() >= maxIdlePerTarget) {
            ch.close();
            return;
        }
        BackendHandler.of(ch).idleIn(target, idleTimeoutMillis);
        channels.addLast(ch);
    }

    /** Forgets a connection that closed while idle. */
    void remove(UpstreamTarget target, Channel ch) {
        ArrayDeque<Channel> channels = idle.get(target.key());
        if (channels != null) {
            channels.remove(ch);
        }
    }

    /** Connections this pool has open, idle or busy. */
    int openConnections() {
        return open;
    }

    int idleConnections() {
        int n = 0;
        for (ArrayDeque<Channel> channels : idle.values()) {
            n += channels.size();
        }
        return n;
    }

    void closeAll() {
        for (ArrayDeque<Channel> channels : idle.values()) {
            for (Channel ch : channels) {
                ch.close();
            }
        }
        idle.clear();
        if (resolvers != null) {
            resolvers.close();
            resolvers = null;
        }
    }
}
