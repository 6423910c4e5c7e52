package io.outpost.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.util.ReferenceCountUtil;
import io.outpost.tls.UpstreamTls;
import io.outpost.upstream.Endpoint;
import io.outpost.upstream.health.HealthProbe;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Health checks over Netty, one fresh connection per check ({@code Connection: close}). An https
 * endpoint is checked through the same TLS as the traffic it gets: the service's CAs, client
 * certificate and {@code serverName}, so a check fails exactly when a request would. Every probe
 * of the process shares one event loop and one DNS resolver, which never block.
 */
public final class NettyHealthProbe implements HealthProbe {

    /** Made on first use; its thread is a daemon and lives as long as the process. */
    private static final class Shared {
        static final Transport TRANSPORT = Transport.best();
        static final EventLoopGroup LOOP = TRANSPORT.newGroup(1, "outpost-health");
        static final DnsAddressResolverGroup RESOLVERS = TRANSPORT.newResolverGroup();
    }

    private final UpstreamTls tls;

    /** @param tls how https endpoints are reached; null for the defaults (the JDK's trust store) */
    public NettyHealthProbe(UpstreamTls tls) {
        this.tls = tls;
    }

    @Override
    public CompletableFuture<Integer> get(Endpoint endpoint, String path, Duration timeout) {
        CompletableFuture<Integer> status = new CompletableFuture<>();
        UpstreamTls secure = endpoint.scheme().equals("https") ? (tls == null ? UpstreamTls.defaults() : tls) : null;
        int timeoutMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        ChannelFuture connect = new Bootstrap().group(Shared.LOOP).channel(Shared.TRANSPORT.clientChannel())
                .resolver(Shared.RESOLVERS)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, timeoutMillis)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (secure != null) {
                            SslHandler handler = secure.newHandler(ch.alloc(), endpoint.host(), endpoint.port());
                            handler.setHandshakeTimeoutMillis(timeoutMillis);
                            ch.pipeline().addLast(handler);
                        }
                        ch.pipeline().addLast(new HttpClientCodec()).addLast(new Answer(status));
                    }
                })
                .connect(endpoint.host(), endpoint.port());
        Channel ch = connect.channel();
        connect.addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                status.completeExceptionally(f.cause() instanceof ConnectTimeoutException
                        ? new TimeoutException("connect timed out after " + timeoutMillis + "ms") : f.cause());
                return;
            }
            // Written before the handshake ends, the request waits in the TLS handler until it does.
            ch.writeAndFlush(request(endpoint, path));
        });
        var timer = ch.eventLoop().schedule(() -> {
            status.completeExceptionally(new TimeoutException("no response head within " + timeoutMillis + "ms"));
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        status.whenComplete((code, error) -> {
            timer.cancel(false);
            ch.close();
        });
        return status;
    }

    private static FullHttpRequest request(Endpoint endpoint, String path) {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path,
                Unpooled.EMPTY_BUFFER);
        String host = endpoint.host().indexOf(':') >= 0 ? "[" + endpoint.host() + "]" : endpoint.host();
        request.headers().set(HttpHeaderNames.HOST, host + ":" + endpoint.port())
                .set(HttpHeaderNames.USER_AGENT, "outpost-health-check")
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return request;
    }

    /** Completes the check with the first final status, or with what went wrong before it. */
    private static final class Answer extends ChannelInboundHandlerAdapter {
        private final CompletableFuture<Integer> status;

        Answer(CompletableFuture<Integer> status) {
            this.status = status;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpResponse response) {
                    if (!response.decoderResult().isSuccess()) {
                        status.completeExceptionally(response.decoderResult().cause());
                    } else if (response.status().code() >= 200) {
                        status.complete(response.status().code());
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent done && !done.isSuccess()) {
                status.completeExceptionally(done.cause());
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            status.completeExceptionally(new ClosedChannelException());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            status.completeExceptionally(cause);
            ctx.close();
        }
    }
}
