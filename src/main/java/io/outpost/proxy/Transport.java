package io.outpost.proxy;

import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.channels.spi.SelectorProvider;

/** Chooses epoll where the native transport loads, and NIO elsewhere. */
public enum Transport {
    EPOLL, NIO;

    public static Transport best() {
        return Epoll.isAvailable() ? EPOLL : NIO;
    }

    /**
     * How much each read asks for, shared by every channel (each gets its own handle).
     * Edge-triggered epoll reads again whenever a read fills its buffer, so Netty's default guess,
     * which shrinks to the size of the last message, costs one extra read that returns EAGAIN on
     * about one message in sixteen. Reads start at 512 bytes instead (docs/benchmarks.md).
     */
    public static final RecvByteBufAllocator READ_SIZES =
            new AdaptiveRecvByteBufAllocator(512, 2048, 65536);

    public EventLoopGroup newGroup(int threads, String name) {
        DefaultThreadFactory factory = new DefaultThreadFactory(name, true);
        return this == EPOLL ? new EpollEventLoopGroup(threads, factory) : new NioEventLoopGroup(threads, factory);
    }

    public Class<? extends ServerChannel> serverChannel() {
        return this == EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /**
     * An unregistered client channel, built without reflection: upstream connects are a hot path.
     * For an IPv4 {@code address} the socket is IPv4; otherwise (an IPv6 address, or a host name
     * not resolved yet) it is the platform's default, dual-stack where IPv6 is available. A
     * dual-stack socket reaches an IPv4 upstream through a mapped address, which costs the kernel
     * a larger socket and the IPv6 connect path on every connection.
     */
    public SocketChannel newClientChannel(InetSocketAddress address) {
        boolean ipv4 = address != null && address.getAddress() instanceof Inet4Address;
        if (this == EPOLL) {
            return ipv4 ? new EpollSocketChannel(InternetProtocolFamily.IPv4) : new EpollSocketChannel();
        }
        return ipv4 ? new NioSocketChannel(SelectorProvider.provider(), InternetProtocolFamily.IPv4)
                : new NioSocketChannel();
    }

    /**
     * Host-name resolution that never blocks an event loop: the hosts file first, then the
     * system's name servers, honouring TTLs, with one resolver per loop made on first use. The JDK's
     * resolver, which {@link io.netty.bootstrap.Bootstrap} uses by default, blocks the calling loop
     * at every cache miss. Close the group when its connections are done.
     */
    public DnsAddressResolverGroup newResolverGroup() {
        return new DnsAddressResolverGroup(new DnsNameResolverBuilder().channelType(datagramChannel()));
    }

    public Class<? extends DatagramChannel> datagramChannel() {
        return this == EPOLL ? EpollDatagramChannel.class : NioDatagramChannel.class;
    }

    public Class<? extends SocketChannel> clientChannel() {
        return this == EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
    }
}
