package io.outpost.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ConnectTimeoutException;
import io.outpost.tls.UpstreamTls;
import io.outpost.upstream.Endpoint;
import io.outpost.upstream.health.HealthProbe;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;

/**
 * Health checks over an {@link OutboundClient}, one fresh connection per check
 * ({@code Connection: close}). An https endpoint is checked through the same TLS as the traffic it
 * gets: the service's CAs, client certificate and {@code serverName}, so a check fails exactly when
 * a request would. Every probe of the process shares one client, on the {@link Background} loop.
 */
public final class NettyHealthProbe implements HealthProbe {

    private static final class Shared {
        static final OutboundClient CLIENT = new OutboundClient(Transport.best(), 0); // bodies are dropped
    }

    private final UpstreamTls tls;
    private final Map<String, UpstreamTarget> targets = new ConcurrentHashMap<>();

    /** @param tls how https endpoints are reached; null for the defaults (the JDK's trust store) */
    public NettyHealthProbe(UpstreamTls tls) {
        this.tls = tls;
    }

    @Override
    public CompletableFuture<Integer> get(Endpoint endpoint, String path, Duration timeout) {
        UpstreamTarget target = targets.computeIfAbsent(endpoint.id(), id -> UpstreamTarget.of(id, tls));
        return Shared.CLIENT.send(target, alloc -> request(alloc.buffer(), target, path), Background.loop(),
                timeout, timeout).thenCompose(answer -> {
                    if (answer.reached()) {
                        return CompletableFuture.completedFuture(answer.status());
                    }
                    Throwable cause = answer.cause() instanceof ConnectTimeoutException
                            ? new TimeoutException("connect timed out after " + timeout.toMillis() + "ms")
                            : answer.cause();
                    return CompletableFuture.failedFuture(cause);
                });
    }

    private static ByteBuf request(ByteBuf buf, UpstreamTarget target, String path) {
        OutboundClient.requestLine(buf, "GET", path);
        OutboundClient.header(buf, "Host", target.authority());
        OutboundClient.header(buf, "User-Agent", "outpost-health-check");
        OutboundClient.header(buf, "Connection", "close");
        return OutboundClient.endHead(buf);
    }
}
