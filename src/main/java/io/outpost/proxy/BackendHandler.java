package io.outpost.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * The last handler of an upstream connection. While an attempt uses the connection, it relays
 * everything to that attempt; while the connection sits idle in the pool, any message is a
 * protocol error and closes it.
 */
final class BackendHandler extends ChannelInboundHandlerAdapter {

    private final UpstreamPool pool;
    private UpstreamAttempt attempt;
    private UpstreamTarget idleTarget;
    private ChannelHandlerContext ctx;
    /** When the current attempt's response head is due (System.nanoTime based); 0 when none is awaited. */
    private long deadlineNanos;
    private io.netty.util.concurrent.ScheduledFuture<?> timer;
    /** When {@link #timer} fires (System.nanoTime based); meaningful while it is set. */
    private long timerNanos;

    /** The pool's default until a service gives the connection back with its own. */
    private long idleTimeoutMillis;
    /** Closes the connection once it has sat in the pool for the idle timeout. */
    private IdleWatch idle;

    BackendHandler(UpstreamPool pool, long idleTimeoutMillis) {
        this.pool = pool;
        this.idleTimeoutMillis = idleTimeoutMillis;
    }

    static BackendHandler of(Channel ch) {
        return (BackendHandler) ch.pipeline().get("backend");
    }

    void attach(UpstreamAttempt attempt) {
        this.attempt = attempt;
        this.idleTarget = null;
    }

    void detach() {
        this.attempt = null;
        this.deadlineNanos = 0;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /**
     * Expects a response head within {@code timeoutNanos}. One timer per connection is kept and
     * re-armed lazily when it fires early, so a request costs a field write, not a timer. A timer
     * that would fire after the deadline (left by an earlier request with a longer timeout: another
     * service on the same endpoint, or one whose timeout a reload shortened) is replaced.
     */
    void expectResponseWithin(long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        deadlineNanos = deadline;
        if (timer != null && timerNanos - deadline > 0) {
            timer.cancel(false);
            timer = null;
        }
        if (timer == null) {
            arm(deadline, timeoutNanos);
        }
    }

    private void arm(long at, long delayNanos) {
        timerNanos = at;
        timer = ctx.executor().schedule(this::onTimer, delayNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    void responseArrived() {
        deadlineNanos = 0;
    }

    private void onTimer() {
        timer = null;
        UpstreamAttempt a = attempt;
        long deadline = deadlineNanos;
        if (a == null || deadline == 0) {
            return;
        }
        long left = deadline - System.nanoTime();
        if (left > 0) {
            arm(deadline, left);
            return;
        }
        deadlineNanos = 0;
        a.onResponseTimeout();
    }

    /** The connection waits in the pool for {@code target}; it closes once unused for {@code idleMillis}. */
    void idleIn(UpstreamTarget target, long idleMillis) {
        this.attempt = null;
        this.idleTarget = target;
        if (idleMillis != idleTimeoutMillis && ctx.channel().isActive()) {
            // Another service's timeout than the last one that used it: rarely, so a new watch.
            idleTimeoutMillis = idleMillis;
            watchIdle();
        } else if (idle != null) {
            idle.touch();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        watchIdle();
        ctx.fireChannelActive();
    }

    private void watchIdle() {
        if (idle != null) {
            idle.stop();
        }
        idle = IdleWatch.start(ctx.executor(), idleTimeoutMillis, () -> {
            if (attempt == null) {
                ctx.close();
            }
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        UpstreamAttempt a = attempt;
        if (a == null) {
            ReferenceCountUtil.release(msg);
            ctx.close();
            return;
        }
        a.onUpstreamMessage(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        UpstreamAttempt a = attempt;
        if (a != null) {
            a.flushToClient();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        UpstreamAttempt a = attempt;
        if (a != null) {
            a.onUpstreamWritabilityChanged(ctx.channel().isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (idle != null) {
            idle.stop();
        }
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        UpstreamAttempt a = attempt;
        attempt = null;
        if (a != null) {
            a.onUpstreamClosed(null);
        } else if (idleTarget != null) {
            pool.remove(idleTarget, ctx.channel());
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        UpstreamAttempt a = attempt;
        attempt = null;
        if (a != null) {
            a.onUpstreamClosed(cause);
        }
        ctx.close();
    }
}
