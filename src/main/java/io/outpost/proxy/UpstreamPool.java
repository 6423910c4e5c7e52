package io.outpost.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Keep-alive connections to upstreams for one event loop. Connections are opened on the loop that
 * owns the client connection, so a proxied request never crosses threads, and the pool needs no
 * locks: every method runs on {@link #loop}.
 */
final class UpstreamPool {

    private static final AttributeKey<UpstreamTarget> TARGET = AttributeKey.valueOf("outpost.upstreamTarget");

    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final Map<String, ArrayDeque<Channel>> idle = new HashMap<>();
    private final int maxIdlePerTarget;
    private volatile int open;

    UpstreamPool(EventLoop loop, Transport transport, ByteBufAllocator alloc, long idleTimeoutMillis,
                 int maxIdlePerTarget) {
        this.loop = loop;
        this.maxIdlePerTarget = maxIdlePerTarget;
        this.bootstrap = new Bootstrap()
                .group(loop)
                .channel(transport.clientChannel())
                .option(ChannelOption.ALLOCATOR, alloc)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.AUTO_READ, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        UpstreamTarget target = ch.attr(TARGET).get();
                        if (target != null && target.secure()) {
                            ch.pipeline().addLast("tls", target.tls().newHandler(ch.alloc(), target.host(), target.port()));
                        }
                        ch.pipeline()
                                .addLast("codec", new UpstreamCodec())
                                .addLast("idle", new IdleStateHandler(idleTimeoutMillis, 0, 0, TimeUnit.MILLISECONDS))
                                .addLast("backend", new BackendHandler(UpstreamPool.this));
                        open++;
                        ch.closeFuture().addListener(f -> open--);
                    }
                });
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

    ChannelFuture connect(UpstreamTarget target, int connectTimeoutMillis) {
        Bootstrap b = bootstrap.clone();
        b.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis);
        b.attr(TARGET, target);
        ChannelFuture connected = b.connect(target.host(), target.port());
        if (!target.secure()) {
            return connected;
        }
        // An https connection is usable once its handshake is done; a failed handshake is a failed connect.
        Channel ch = connected.channel();
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

    /** Takes back a connection whose last exchange ended cleanly. */
    void release(UpstreamTarget target, Channel ch) {
        if (!ch.isActive()) {
            return;
        }
        ArrayDeque<Channel> channels = idle.computeIfAbsent(target.key(), k -> new ArrayDeque<>());
        if (channels.size() >= maxIdlePerTarget) {
            ch.close();
            return;
        }
        BackendHandler.of(ch).idleIn(target);
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
    }
}
