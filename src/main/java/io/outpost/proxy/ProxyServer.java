package io.outpost.proxy;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's listening side: event loops, entry points and the connections they accept. It owns
 * no configuration; the routing snapshot lives in the {@link GatewayContext}.
 *
 * <pre>{@code
 * ProxyServer server = new ProxyServer(context, 1, List.of(new EntryPoint("web", addr, 90_000)));
 * server.start();
 * ...
 * server.shutdown(Duration.ofSeconds(10), System::nanoTime);
 * }</pre>
 */
public final class ProxyServer {

    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

    private final GatewayContext gateway;
    private final Transport transport;
    private final int workers;
    private final EventLoopGroup givenWorkers;
    private final List<EntryPoint> entryPoints;
    private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private EventLoopGroup boss;
    private EventLoopGroup workerGroup;

    public ProxyServer(GatewayContext gateway, Transport transport, int workers, List<EntryPoint> entryPoints) {
        if (workers <= 0) {
            throw new IllegalArgumentException("workers: " + workers + " (expected: > 0)");
        }
        this.gateway = gateway;
        this.transport = transport;
        this.workers = workers;
        this.givenWorkers = null;
        this.entryPoints = List.copyOf(entryPoints);
    }

    /**
     * Serves on {@code workerGroup}, created by the caller (so that services can share the loops),
     * which this server shuts down when it stops.
     */
    public ProxyServer(GatewayContext gateway, Transport transport, EventLoopGroup workerGroup,
                       List<EntryPoint> entryPoints) {
        this.gateway = gateway;
        this.transport = transport;
        int n = 0;
        for (var ignored : workerGroup) {
            n++;
        }
        this.workers = n;
        this.givenWorkers = workerGroup;
        this.entryPoints = List.copyOf(entryPoints);
    }

    /** Binds every entry point and starts accepting. */
    public void start() throws InterruptedException {
        bind();
        accept();
    }

    /**
     * Binds every entry point without accepting yet, so that an address in use fails start-up at once;
     * connections made meanwhile wait in the listen backlog until {@link #accept()}.
     */
    public void bind() throws InterruptedException {
        boss = transport.newGroup(1, "outpost-accept");
        workerGroup = givenWorkers != null ? givenWorkers : transport.newGroup(workers, "outpost-loop");
        try {
            for (EntryPoint ep : entryPoints) {
                ep.bind(boss, workerGroup, transport, gateway, connections);
                log.info("entry point {} listening on {} ({} event loops, {})", ep.name(), ep.localAddress(),
                        workers, transport);
            }
        } catch (InterruptedException | RuntimeException e) {
            stopNow();
            throw e;
        }
    }

    /** Starts accepting on every entry point {@link #bind() bound}. */
    public void accept() {
        for (EntryPoint ep : entryPoints) {
            ep.accept();
        }
    }

    public List<EntryPoint> entryPoints() {
        return entryPoints;
    }

    public EventLoopGroup workerGroup() {
        return workerGroup;
    }

    /** Client connections open right now, lingering ones included. */
    public int openConnections() {
        return connections.size();
    }

    /**
     * Stops accepting, lets in-flight requests finish for up to {@code grace}, then closes every
     * connection. Returns the number of requests that were still running when the grace ran out.
     */
    public int shutdown(Duration grace, LongSupplier nanoClock) {
        for (EntryPoint ep : entryPoints) {
            ep.unbind();
        }
        gateway.startDraining();
        // Idle keep-alive connections have nothing to drain.
        long deadline = nanoClock.getAsLong() + grace.toNanos();
        while (gateway.inFlight() > 0 && nanoClock.getAsLong() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        int left = gateway.inFlight();
        stopNow();
        return left;
    }

    /**
     * Stops accepting and closes every connection and upstream connection at once, leaving the worker
     * group running for its owner: for a server that shares the gateway's loops for a while.
     */
    public void closeKeepingLoops() {
        for (EntryPoint ep : entryPoints) {
            ep.unbind();
        }
        connections.close().awaitUninterruptibly(5, java.util.concurrent.TimeUnit.SECONDS);
        gateway.closeUpstreams();
        if (boss != null) {
            boss.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private void stopNow() {
        connections.close().awaitUninterruptibly(5, java.util.concurrent.TimeUnit.SECONDS);
        gateway.closeUpstreams();
        if (workerGroup != null) {
            workerGroup.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (boss != null) {
            boss.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
