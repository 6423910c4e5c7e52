package io.outpost.proxy;

import io.netty.channel.ChannelOutboundInvoker;
import io.netty.channel.SingleThreadEventLoop;
import io.netty.channel.epoll.EpollEventLoop;
import io.netty.channel.nio.NioEventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.ArrayList;

/**
 * Flushes the proxy's writes once per event loop iteration, after every ready connection was read.
 *
 * <p>Flushing as each read completes interleaves receives and sends: read a request, send it, read
 * the next, send it. Each send to a peer asleep in {@code epoll_wait} wakes it, and a peer woken for
 * one message handles it and sleeps again. Under the benchmark's load the client and the upstream
 * slept and were woken 85 to 110 times per 1,000 requests, against about 50 with HAProxy, which
 * sends at the end of its loop. A wakeup is paid for by the sender, in system time. Sending the
 * whole iteration's writes together wakes each peer once for all of them: about 55 times per 1,000
 * requests, and the loop itself is preempted half as often (bench/wakeups.sh; docs/benchmarks.md,
 * "Session 11"). A message waits at most for the rest of its iteration.
 *
 * <p>The sends go out in two runs: every upstream connection's first, then every client's. A peer
 * woken by the first send of its run finds the next ones already queued or arriving while it works,
 * where sends in the order they were asked for alternate between the two sides and leave each peer
 * time to catch up and sleep again between two of its own. Ordered so, the upstream slept 34 to 39
 * times per 1,000 requests instead of 43 to 57, and the client 33 to 41 instead of 40 to 48
 * (HAProxy: 34 to 41 and 23 to 33; docs/benchmarks.md, "Session 13"). Upstream connections go first
 * so that the upstream starts on its requests while the clients' answers are sent.
 *
 * <p>One per event loop, used only on it. Only the gateway's own loops (epoll and NIO) run tasks
 * after each iteration; on any other executor (Netty's embedded channel in unit tests), and off the
 * loop, a flush happens at once.
 */
final class LoopFlushes implements Runnable {

    private static final FastThreadLocal<LoopFlushes> OF_LOOP = new FastThreadLocal<>();

    private final SingleThreadEventLoop loop;
    private final ArrayList<ChannelOutboundInvoker> upstreams = new ArrayList<>();
    private final ArrayList<ChannelOutboundInvoker> clients = new ArrayList<>();
    private boolean scheduled;

    private LoopFlushes(SingleThreadEventLoop loop) {
        this.loop = loop;
    }

    /** The flushes of {@code executor}, called on it; null when it cannot defer them. */
    static LoopFlushes of(EventExecutor executor) {
        if (!(executor instanceof EpollEventLoop || executor instanceof NioEventLoop) || !executor.inEventLoop()) {
            return null;
        }
        LoopFlushes flushes = OF_LOOP.get();
        if (flushes == null) {
            flushes = new LoopFlushes((SingleThreadEventLoop) executor);
            OF_LOOP.set(flushes);
        }
        return flushes;
    }

    /**
     * Flushes upstream connection {@code target} at the end of this iteration (at once when
     * {@code flushes} is null).
     */
    static void flushUpstream(LoopFlushes flushes, ChannelOutboundInvoker target) {
        if (flushes == null) {
            target.flush();
        } else {
            flushes.add(flushes.upstreams, target);
        }
    }

    /**
     * Flushes client connection {@code target} after this iteration's upstream connections (at once
     * when {@code flushes} is null).
     */
    static void flushClient(LoopFlushes flushes, ChannelOutboundInvoker target) {
        if (flushes == null) {
            target.flush();
        } else {
            flushes.add(flushes.clients, target);
        }
    }

    private void add(ArrayList<ChannelOutboundInvoker> run, ChannelOutboundInvoker target) {
        run.add(target);
        if (!scheduled) {
            scheduled = true;
            loop.executeAfterEventLoopIteration(this);
        }
    }

    @Override
    public void run() {
        // A flush can fail a connection, whose handling may flush another (a retry upstream, an
        // answer to the client): it is appended to its run, and this pass reaches it.
        try {
            while (!upstreams.isEmpty() || !clients.isEmpty()) {
                flushAll(upstreams);
                flushAll(clients);
            }
        } finally {
            upstreams.clear();
            clients.clear();
            scheduled = false;
        }
    }

    private static void flushAll(ArrayList<ChannelOutboundInvoker> run) {
        try {
            for (int i = 0; i < run.size(); i++) {
                run.get(i).flush();
            }
        } finally {
            run.clear();
        }
    }
}
