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
 * <p>One per event loop, used only on it. Only the gateway's own loops (epoll and NIO) run tasks
 * after each iteration; on any other executor (Netty's embedded channel in unit tests), and off the
 * loop, a flush happens at once.
 */
final class LoopFlushes implements Runnable {

    private static final FastThreadLocal<LoopFlushes> OF_LOOP = new FastThreadLocal<>();

    private final SingleThreadEventLoop loop;
    private final ArrayList<ChannelOutboundInvoker> pending = new ArrayList<>();
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

    /** Flushes {@code target} at the end of this iteration (at once when {@code flushes} is null). */
    static void flush(LoopFlushes flushes, ChannelOutboundInvoker target) {
        if (flushes == null) {
            target.flush();
        } else {
            flushes.add(target);
        }
    }

    private void add(ChannelOutboundInvoker target) {
        pending.add(target);
        if (!scheduled) {
            scheduled = true;
            loop.executeAfterEventLoopIteration(this);
        }
    }

    @Override
    public void run() {
        // A flush can fail a connection, whose handling may flush another: it is appended, and
        // this loop reaches it.
        ArrayList<ChannelOutboundInvoker> targets = pending;
        try {
            for (int i = 0; i < targets.size(); i++) {
                targets.get(i).flush();
            }
        } finally {
            targets.clear();
            scheduled = false;
        }
    }
}
