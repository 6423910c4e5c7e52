package io.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class UpstreamPoolTest {

    private final Transport transport = Transport.best();
    private EventLoopGroup group;
    private ServerSocket upstream;

    @BeforeEach
    void start() throws Exception {
        group = transport.newGroup(1, "pool-test");
        upstream = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    @AfterEach
    void stop() throws Exception {
        upstream.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    @Test
    void connectionsToUpstreamsSendAtOnceAndKeepAlive() throws Exception {
        UpstreamPool pool = new UpstreamPool(group.next(), transport, PooledByteBufAllocator.DEFAULT, 60_000, 8);
        UpstreamTarget target = UpstreamTarget.of("http://127.0.0.1:" + upstream.getLocalPort());

        ChannelFuture connected = group.next().submit(() -> pool.connect(target, 2_000)).get().sync();
        try (Socket accepted = upstream.accept()) {
            Channel ch = connected.channel();
            assertThat(ch.isActive()).isTrue();
            assertThat(ch.config().getOption(ChannelOption.TCP_NODELAY)).isTrue();
            assertThat(ch.config().getOption(ChannelOption.SO_KEEPALIVE)).isTrue();
            assertThat(accepted.getInetAddress().getHostAddress()).isEqualTo("127.0.0.1");
            ch.close().sync();
        }
    }

    @Test
    void anIpv6UpstreamIsReachedToo() throws Exception {
        InetAddress v6 = InetAddress.getByName("::1");
        try (ServerSocket v6Upstream = new ServerSocket(0, 50, v6)) {
            UpstreamPool pool = new UpstreamPool(group.next(), transport, PooledByteBufAllocator.DEFAULT, 60_000, 8);
            UpstreamTarget target = UpstreamTarget.of("http://[::1]:" + v6Upstream.getLocalPort());
            ChannelFuture connected = group.next().submit(() -> pool.connect(target, 2_000)).get().sync();
            try (Socket accepted = v6Upstream.accept()) {
                assertThat(connected.channel().isActive()).isTrue();
                assertThat(accepted.getInetAddress()).isEqualTo(v6);
                connected.channel().close().sync();
            }
        }
    }
}
