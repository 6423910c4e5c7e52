package io.outpost.proxy;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * State shared by every connection of the gateway: the current routing snapshot, the access log,
 * the per-event-loop upstream pools, and the drain flag for graceful shutdown.
 */
public final class GatewayContext {

    /**
     * The system's monotonic clock, as one object for every context. The proxy path inlines
     * {@link #nanoTime()}; a context built with another lambda of the same method (the start-up
     * warm-up's, say) would be another class there, and the compiled code would be thrown away and
     * compiled again when real traffic arrives.
     */
    public static final LongSupplier SYSTEM_NANOS = System::nanoTime;

    private final Transport transport;
    private final ByteBufAllocator alloc;
    private final LongSupplier nanoClock;
    private final AtomicReference<Routing> routing = new AtomicReference<>(Routing.EMPTY);
    private volatile AccessLog accessLog = AccessLog.NONE;
    private volatile AccessLog requestMetrics = AccessLog.NONE;
    private volatile boolean draining;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final List<UpstreamPool> pools = new CopyOnWriteArrayList<>();
    private final FastThreadLocal<UpstreamPool> poolOfLoop = new FastThreadLocal<>();
    private final long upstreamIdleMillis;

    public GatewayContext(Transport transport, ByteBufAllocator alloc, LongSupplier nanoClock, long upstreamIdleMillis) {
        this.transport = transport;
        this.alloc = alloc;
        this.nanoClock = nanoClock;
        this.upstreamIdleMillis = upstreamIdleMillis;
    }

    public void routing(Routing next) {
        routing.set(next);
    }

    public Routing routing() {
        return routing.get();
    }

    public void accessLog(AccessLog log) {
        this.accessLog = log;
    }

    public AccessLog accessLog() {
        return accessLog;
    }

    /** What counts and times every finished request; unlike the access log, it is never off in a gateway. */
    public void requestMetrics(AccessLog metrics) {
        this.requestMetrics = metrics;
    }

    /** A request is over: it goes to the request metrics and the access log. */
    void finished(AccessLog.Entry entry, long durationNanos) {
        requestMetrics.log(entry, durationNanos);
        accessLog.log(entry, durationNanos);
    }

    long nanoTime() {
        return nanoClock.getAsLong();
    }

    ByteBufAllocator alloc() {
        return alloc;
    }

    /** Stops keep-alive: responses from now on close their connections. */
    public void startDraining() {
        draining = true;
    }

    public boolean draining() {
        return draining;
    }

    public int inFlight() {
        return inFlight.get();
    }

    void exchangeStarted() {
        inFlight.incrementAndGet();
    }

    void exchangeEnded() {
        inFlight.decrementAndGet();
    }

    /** The pool of the calling event loop, made on first use. */
    UpstreamPool pool(EventLoop loop) {
        UpstreamPool pool = poolOfLoop.get();
        if (pool == null) {
            pool = new UpstreamPool(loop, transport, alloc, upstreamIdleMillis, 1024);
            poolOfLoop.set(pool);
            pools.add(pool);
        }
        return pool;
    }

    /** Open upstream connections across all event loops (for tests and the admin API). */
    public int upstreamConnections() {
        int n = 0;
        for (UpstreamPool p : pools) {
            n += p.openConnections();
        }
        return n;
    }

    public void closeUpstreams() {
        for (UpstreamPool p : pools) {
            p.loop().execute(p::closeAll);
        }
    }
}
