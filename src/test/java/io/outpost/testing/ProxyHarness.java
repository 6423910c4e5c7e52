package io.outpost.testing;

import io.netty.buffer.PooledByteBufAllocator;
import io.outpost.middleware.Middleware;
import io.outpost.middleware.Next;
import io.outpost.proxy.EntryPoint;
import io.outpost.proxy.GatewayContext;
import io.outpost.proxy.Lingering;
import io.outpost.proxy.ProxyExchange;
import io.outpost.proxy.ProxyServer;
import io.outpost.proxy.RouteTarget;
import io.outpost.proxy.Transport;
import io.outpost.service.Service;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/** A proxy on a loopback port that sends every request through {@code middlewares} to one service. */
public final class ProxyHarness implements AutoCloseable {

    public final GatewayContext context;
    public final PooledByteBufAllocator alloc;
    private final ProxyServer server;

    public ProxyHarness(Service service, Middleware... middlewares) throws InterruptedException {
        this(Lingering.DEFAULTS, service, middlewares);
    }

    /** A proxy whose entry point closes connections after lingering as {@code lingering} says. */
    public ProxyHarness(Lingering lingering, Service service, Middleware... middlewares) throws InterruptedException {
        alloc = new PooledByteBufAllocator(true, 1, 1, 8192, 9, 0, 0, false);
        context = new GatewayContext(Transport.best(), alloc, System::nanoTime, 60_000);
        Next chain = ex -> service.handle((ProxyExchange) ex);
        for (int i = middlewares.length - 1; i >= 0; i--) {
            Middleware m = middlewares[i];
            Next rest = chain;
            chain = ex -> m.handle(ex, rest);
        }
        RouteTarget target = new RouteTarget("all", "svc", chain);
        context.routing((ep, ex) -> ex.path().startsWith("/none") ? null : target);
        server = new ProxyServer(context, Transport.best(), 1,
                List.of(new EntryPoint("web", new InetSocketAddress("127.0.0.1", 0), 60_000).lingering(lingering)));
        server.start();
    }

    public int port() {
        return server.entryPoints().get(0).localAddress().getPort();
    }

    public String url(String path) {
        return "http://127.0.0.1:" + port() + path;
    }

    public ProxyServer server() {
        return server;
    }

    /** Bytes of pooled direct memory the proxy's buffers use right now. */
    public long usedDirectMemory() {
        return alloc.metric().usedDirectMemory();
    }

    /** Buffers currently allocated and not yet released, across all direct arenas. */
    public long activeDirectAllocations() {
        return alloc.metric().directArenas().stream().mapToLong(a -> a.numActiveAllocations()).sum();
    }

    @Override
    public void close() {
        server.shutdown(Duration.ZERO, System::nanoTime);
    }
}
