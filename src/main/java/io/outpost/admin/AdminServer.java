package io.outpost.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.outpost.proxy.Transport;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin server: health, readiness, the JSON API, metrics and the dashboard, on its own address and its own
 * event loop so that a flood of proxied traffic cannot starve it.
 *
 * <pre>{@code
 * AdminServer admin = new AdminServer(address)
 *     .openRoute("/health", (m, p, b) -> AdminResponse.text(200, "text/plain", "ok\n"))
 *     .route("/api/services/{name}", (m, p, b) -> AdminResponse.json(200, describe(p.get(0))))
 *     .route("/api/services/{name}/pause", List.of("POST"), (m, p, b) -> pause(p.get(0)));
 * admin.start();
 * }</pre>
 *
 * A known path asked with a method it does not take gets 405 with an {@code Allow} header, as
 * Envoy's admin and Traefik's API answer. HEAD is answered like GET, without the body.
 *
 * <p>A path names a route with or without one trailing slash ({@code /health/} is {@code /health}); a second
 * one, or an empty segment, makes another path. Whether the bearer token is needed is decided by the route
 * a path matched, never by its spelling, so every form of a path is as open, or as closed, as the route.
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    private final InetSocketAddress address;
    /** The methods of an endpoint that only reads. */
    public static final List<String> READ = List.of("GET", "HEAD");

    /** {@code open}: answered without the bearer token, for a route that holds no data. */
    private record Route(List<String> methods, AdminHandler handler, boolean open) {}

    private final Map<String, Route> routes = new LinkedHashMap<>();
    private volatile String bearerToken;
    private EventLoopGroup group;
    private Channel server;

    public AdminServer(InetSocketAddress address) {
        this.address = address;
    }

    /** Adds a read endpoint (GET and HEAD); {@code pattern} segments in braces match any one path segment. */
    public AdminServer route(String pattern, AdminHandler handler) {
        return route(pattern, READ, handler);
    }

    /** Adds an endpoint that answers {@code methods} (upper case); others get 405. */
    public AdminServer route(String pattern, List<String> methods, AdminHandler handler) {
        routes.put(pattern, new Route(List.copyOf(methods), handler, false));
        return this;
    }

    /**
     * Adds a read endpoint answered without the bearer token: for probes (/health, /ready) and for static
     * content that holds no data, such as the dashboard page, whose own API calls still need the token.
     */
    public AdminServer openRoute(String pattern, AdminHandler handler) {
        routes.put(pattern, new Route(READ, handler, true));
        return this;
    }

    /** Demands {@code Authorization: Bearer <token>} on every path but those of {@link #openRoute open routes}. */
    public void bearerToken(String token) {
        this.bearerToken = token;
    }

    public void start() throws InterruptedException {
        Transport transport = Transport.best();
        group = transport.newGroup(1, "outpost-admin");
        server = new ServerBootstrap().group(group).channel(transport.serverChannel())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20), new Handler());
                    }
                }).bind(address).sync().channel();
        log.info("admin server listening on {}", localAddress());
    }

    public InetSocketAddress localAddress() {
        return server == null ? address : (InetSocketAddress) server.localAddress();
    }

    AdminResponse dispatch(String method, String path, byte[] body, String authorization) {
        return dispatch(method, path, body, authorization, null);
    }

    AdminResponse dispatch(String method, String path, byte[] body, String authorization, String accept) {
        String[] segments = split(path);
        Route found = null;
        List<String> params = null;
        for (Map.Entry<String, Route> route : routes.entrySet()) {
            params = match(split(route.getKey()), segments);
            if (params != null) {
                found = route.getValue();
                break;
            }
        }
        String token = bearerToken;
        // An unknown path needs the token too, so that what the server has cannot be probed without it.
        boolean open = found != null && found.open();
        if (token != null && !open && !constantTimeEquals("Bearer " + token, authorization)) {
            return AdminResponse.error(401, "admin API needs a bearer token");
        }
        if (found != null) {
            List<String> allowed = found.methods();
            if (!allowed.contains(method)) {
                String allow = String.join(", ", allowed);
                return AdminResponse.error(405, "method " + method + " is not allowed on " + path
                        + " (allowed: " + allow + ")").withHeader("Allow", allow);
            }
            return found.handler().handle(method, params, body, accept);
        }
        return AdminResponse.error(404, "no admin endpoint at " + path);
    }

    private static boolean constantTimeEquals(String expected, String actual) {
        if (actual == null) {
            return false;
        }
        return java.security.MessageDigest.isEqual(expected.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                actual.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** The segments of {@code path}: empty ones count, but for the one a single trailing slash leaves. */
    private static String[] split(String path) {
        String relative = path.startsWith("/") ? path.substring(1) : path;
        if (relative.isEmpty()) {
            return new String[0];
        }
        String[] segments = relative.split("/", -1);
        return segments[segments.length - 1].isEmpty() ? Arrays.copyOf(segments, segments.length - 1) : segments;
    }

    private static List<String> match(String[] pattern, String[] segments) {
        if (pattern.length != segments.length) {
            return null;
        }
        List<String> params = new ArrayList<>(2);
        for (int i = 0; i < pattern.length; i++) {
            if (pattern[i].startsWith("{")) {
                params.add(QueryStringDecoder.decodeComponent(segments[i]));
            } else if (!pattern[i].equals(segments[i])) {
                return null;
            }
        }
        return params;
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            AdminResponse answer;
            if (!request.decoderResult().isSuccess()) {
                answer = AdminResponse.error(400, "malformed request");
            } else {
                String path = new QueryStringDecoder(request.uri()).path();
                try {
                    answer = dispatch(request.method().name(), path, ByteBufUtil.getBytes(request.content()),
                            request.headers().get(HttpHeaderNames.AUTHORIZATION),
                            request.headers().get(HttpHeaderNames.ACCEPT));
                } catch (RuntimeException e) {
                    log.error("admin endpoint {} failed", path, e);
                    answer = AdminResponse.error(500, "internal error: " + e.getMessage());
                }
            }
            boolean head = HttpMethod.HEAD.equals(request.method());
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(answer.status()),
                    head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(answer.body()));
            answer.headers().forEach(response.headers()::set);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, answer.contentType());
            HttpUtil.setContentLength(response, answer.body().length);
            boolean keepAlive = HttpUtil.isKeepAlive(request) && request.decoderResult().isSuccess();
            HttpUtil.setKeepAlive(response, keepAlive);
            var future = ctx.writeAndFlush(response);
            if (!keepAlive) {
                future.addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    @Override
    public void close() {
        if (server != null) {
            server.close().syncUninterruptibly();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
