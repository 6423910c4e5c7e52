package io.outpost.demo;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * The TCP relay under {@link Link}, in the shape of Netty's proxy example: the upstream connection
 * is made on the accepted channel's event loop and reads resume only once a write has gone through.
 * Everything runs on one event loop, so a reset is a plain close with {@code SO_LINGER} 0 and never
 * races a thread blocked in a read (which would send FIN first).
 */
final class Relay {

    private static final int CONNECT_TIMEOUT_MS = 2_000;
    private static final AttributeKey<Channel> UPSTREAM = AttributeKey.valueOf("outpost.demo.upstream");

    private final InetSocketAddress target;
    private final EventLoopGroup loop = new NioEventLoopGroup(1, Http.daemon("link"));
    /** Accepted connections; their upstream channels hang off them. */
    private final ChannelGroup accepted = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private volatile Channel server;

    Relay(InetSocketAddress target) {
        this.target = target;
    }

    /** Starts listening on {@code address}; returns the address bound. */
    InetSocketAddress listen(InetSocketAddress address) throws InterruptedException {
        Channel channel = new ServerBootstrap().group(loop).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new Frontend());
                    }
                })
                .bind(address).sync().channel();
        server = channel;
        return (InetSocketAddress) channel.localAddress();
    }

    boolean listening() {
        return server != null;
    }

    /** Stops listening (new connections are refused) and resets every open connection; returns how many. */
    int cut() {
        Channel s = server;
        server = null;
        if (s != null) {
            s.close().syncUninterruptibly();
        }
        List<Channel> open = List.copyOf(accepted);
        open.forEach(Relay::reset);
        return open.size();
    }

    int connections() {
        return accepted.size();
    }

    void close() {
        cut();
        loop.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    /**
     * Closes an accepted connection and its upstream with RST rather than FIN, which is what both
     * peers see when a link dies under a connection. Linger is set on both before either closes, so
     * that the close one triggers on the other is an RST too.
     */
    private static void reset(Channel inbound) {
        Runnable abort = () -> {
            Channel upstream = inbound.attr(UPSTREAM).get();
            lingerZero(inbound);
            lingerZero(upstream);
            inbound.close();
            if (upstream != null) {
                upstream.close();
            }
        };
        if (inbound.eventLoop().inEventLoop()) {
            abort.run();
        } else {
            inbound.eventLoop().execute(abort);
        }
    }

    private static void lingerZero(Channel channel) {
        if (channel != null && channel.isOpen()) {
            try {
                channel.config().setOption(ChannelOption.SO_LINGER, 0);
            } catch (ChannelException e) {
                // closed meanwhile: nothing left to reset
            }
        }
    }

    private static void closeOnFlush(Channel channel) {
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** The side the gateway connects to. */
    private final class Frontend extends ChannelInboundHandlerAdapter {
        private Channel upstream;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel inbound = ctx.channel();
            if (!listening()) {
                reset(inbound); // accepted just before the link was cut
                return;
            }
            accepted.add(inbound);
            if (!listening()) { // cut() between the check above and the add: it may not have seen this one
                reset(inbound);
                return;
            }
            ChannelFuture connect = new Bootstrap().group(inbound.eventLoop()).channel(NioSocketChannel.class)
                    .option(ChannelOption.AUTO_READ, false)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MS)
                    .handler(new Backend(inbound))
                    .connect(target);
            upstream = connect.channel();
            inbound.attr(UPSTREAM).set(upstream);
            connect.addListener(f -> {
                if (!f.isSuccess()) {
                    reset(inbound);
                }
            });
            inbound.closeFuture().addListener(f -> closeOnFlush(upstream));
            upstream.closeFuture().addListener(f -> closeOnFlush(inbound));
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            upstream.writeAndFlush(msg).addListener((ChannelFutureListener) f -> {
                if (f.isSuccess()) {
                    ctx.channel().read();
                } else {
                    reset(ctx.channel());
                }
            });
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            reset(ctx.channel());
        }
    }

    /** The side towards the target; starts the relay once connected. */
    private static final class Backend extends ChannelInboundHandlerAdapter {
        private final Channel inbound;

        Backend(Channel inbound) {
            this.inbound = inbound;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.read();
            inbound.read();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            inbound.writeAndFlush(msg).addListener((ChannelFutureListener) f -> {
                if (f.isSuccess()) {
                    ctx.channel().read();
                } else {
                    reset(inbound);
                }
            });
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            reset(inbound);
        }
    }
}
