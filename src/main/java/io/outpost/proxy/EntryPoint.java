package io.outpost.proxy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.outpost.tls.EntryPointTls;
import java.net.InetSocketAddress;

/**
 * A listening socket that feeds client connections into the proxy. Binding is synchronous so that
 * start-up fails loudly when an address is taken. With {@link EntryPointTls} it terminates TLS, and
 * requests count as secure ({@code X-Forwarded-Proto: https}).
 */
public final class EntryPoint {

    private final String name;
    private final InetSocketAddress address;
    private final long idleTimeoutMillis;
    private final EntryPointTls tls;
    private final ForwardedTrust forwardedTrust;
    private final Lingering lingering;
    private final long readTimeoutNanos;
    private Channel server;

    public EntryPoint(String name, InetSocketAddress address, long idleTimeoutMillis) {
        this(name, address, idleTimeoutMillis, null);
    }

    /** An entry point that terminates TLS with {@code tls} (null: plain text). */
    public EntryPoint(String name, InetSocketAddress address, long idleTimeoutMillis, EntryPointTls tls) {
        this(name, address, idleTimeoutMillis, tls, ForwardedTrust.NONE);
    }

    /**
     * An entry point that keeps the {@code X-Forwarded-*} headers of the clients {@code forwardedTrust}
     * trusts, and replaces everyone else's.
     */
    public EntryPoint(String name, InetSocketAddress address, long idleTimeoutMillis, EntryPointTls tls,
                      ForwardedTrust forwardedTrust) {
        this(name, address, idleTimeoutMillis, tls, forwardedTrust, Lingering.DEFAULTS, 0);
    }

    private EntryPoint(String name, InetSocketAddress address, long idleTimeoutMillis, EntryPointTls tls,
                       ForwardedTrust forwardedTrust, Lingering lingering, long readTimeoutNanos) {
        this.forwardedTrust = forwardedTrust;
        this.name = name;
        this.address = address;
        this.idleTimeoutMillis = idleTimeoutMillis;
        this.tls = tls;
        this.lingering = lingering;
        this.readTimeoutNanos = readTimeoutNanos;
    }

    /**
     * This entry point, closing connections it answered before reading their whole request after
     * lingering as {@code lingering} says ({@link Lingering#DEFAULTS} unless set here).
     */
    public EntryPoint lingering(Lingering lingering) {
        return new EntryPoint(name, address, idleTimeoutMillis, tls, forwardedTrust,
                java.util.Objects.requireNonNull(lingering, "lingering"), readTimeoutNanos);
    }

    /**
     * This entry point, answering 408 to a request not read in full, head and body, within
     * {@code readTimeout} of its first byte, and closing its connection. Zero (the default here) sets
     * no bound. The clock starts when a request starts arriving, so time a keep-alive connection
     * spends idle between requests is the idle timeout's alone.
     */
    public EntryPoint readTimeout(java.time.Duration readTimeout) {
        if (readTimeout.isNegative()) {
            throw new IllegalArgumentException("readTimeout: " + readTimeout + " (expected: >= 0)");
        }
        return new EntryPoint(name, address, idleTimeoutMillis, tls, forwardedTrust, lingering, readTimeout.toNanos());
    }

    public String name() {
        return name;
    }

    /** The bound address (with the real port when the configured port was 0). */
    public InetSocketAddress localAddress() {
        return server == null ? address : (InetSocketAddress) server.localAddress();
    }

    void bind(EventLoopGroup boss, EventLoopGroup workers, Transport transport, GatewayContext gateway,
              ChannelGroup connections) throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                // Bound but not accepting until accept(): connections wait in the backlog meanwhile.
                .option(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOCATOR, gateway.alloc())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, Transport.READ_SIZES)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.add(ch);
                        if (tls != null) {
                            ch.pipeline().addLast("tls", tls.newHandler());
                        }
                        ch.pipeline()
                                .addLast("codec", new ServerCodec(readTimeoutNanos > 0, idleTimeoutMillis))
                                .addLast("proxy", new FrontendHandler(gateway, name, tls != null, forwardedTrust, lingering,
                                        readTimeoutNanos));
                    }
                });
        server = b.bind(address).sync().channel();
    }

    /** Starts accepting connections on the bound address. */
    void accept() {
        server.config().setAutoRead(true);
    }

    /** Stops accepting; open connections are left to drain. */
    void unbind() {
        if (server != null) {
            server.close().syncUninterruptibly();
        }
    }
}
