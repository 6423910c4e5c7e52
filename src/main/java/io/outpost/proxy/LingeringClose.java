package io.outpost.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends a client connection whose request was answered before it was read in full, the way nginx's
 * lingering close does. Once the answer is written, the output is shut down (the client reads the
 * answer, then the end of the stream), and whatever the client still sends is read and dropped
 * until it closes, until it has sent nothing for {@link Lingering#timeout()}, or for
 * {@link Lingering#time()} at most; then the connection closes. Without it the connection would
 * close with unread input, and the kernel's reset could destroy the answer before the client read
 * it. It sits before the request codec, so dropped bytes are never parsed; the entry point's idle
 * timeout still closes a connection that goes quiet while its answer is being written.
 */
final class LingeringClose extends ChannelInboundHandlerAdapter implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(LingeringClose.class);

    private final long timeNanos;
    private final long timeoutNanos;
    private final LongSupplier clock;
    /** The codec whose idle timeout the dropped bytes still count for; null without one. */
    private final ServerCodec codec;
    private ChannelHandlerContext ctx;
    private long lastRead;
    private long deadline;
    private ScheduledFuture<?> timer;

    private LingeringClose(Lingering limits, LongSupplier clock, ServerCodec codec) {
        this.timeNanos = limits.time().toNanos();
        this.timeoutNanos = limits.timeout().toNanos();
        this.clock = clock;
        this.codec = codec;
    }

    /**
     * Closes {@code frontend}'s connection after {@code answered} (its last write) completes,
     * lingering as {@code limits} say. From this call on, the client's input is dropped unread.
     */
    static void after(ChannelFuture answered, ChannelHandlerContext frontend, Lingering limits, LongSupplier clock) {
        Channel ch = frontend.channel();
        ChannelPipeline pipeline = ch.pipeline();
        if (pipeline.get(LingeringClose.class) != null) {
            return; // already lingering: that one closes
        }
        if (!(ch instanceof DuplexChannel) || !ch.isActive()) {
            answered.addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ChannelHandlerContext codec = pipeline.context(ServerCodec.class);
        LingeringClose handler = new LingeringClose(limits, clock, codec == null ? null : (ServerCodec) codec.handler());
        pipeline.addBefore(codec != null ? codec.name() : frontend.name(), "lingering-close", handler);
        // Reading may have been paused for the exchange (backpressure, pipelining): the client
        // would then block on a full socket and never read the answer.
        ch.config().setAutoRead(true);
        answered.addListener((ChannelFutureListener) handler::answered);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    private void answered(ChannelFuture written) {
        if (!written.isSuccess() || !ctx.channel().isActive()) {
            ctx.channel().close();
            return;
        }
        SslHandler tls = ctx.pipeline().get(SslHandler.class);
        if (tls == null) {
            shutOutput();
        } else {
            // close_notify first, so that a TLS client sees a clean end of the answer.
            tls.closeOutbound().addListener((ChannelFutureListener) f -> shutOutput());
        }
    }

    private void shutOutput() {
        Channel ch = ctx.channel();
        if (!ch.isActive()) {
            return;
        }
        ((DuplexChannel) ch).shutdownOutput().addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                f.channel().close();
            }
        });
        long now = clock.getAsLong();
        lastRead = now;
        deadline = now + timeNanos;
        timer = ctx.executor().schedule(this, timeoutNanos, TimeUnit.NANOSECONDS);
    }

    /** Checks the limits; re-armed for the earlier of the two while the client keeps sending. */
    @Override
    public void run() {
        timer = null;
        Channel ch = ctx.channel();
        if (!ch.isActive()) {
            return;
        }
        long now = clock.getAsLong();
        long quietUntil = lastRead + timeoutNanos;
        if (now - quietUntil >= 0 || now - deadline >= 0) {
            ch.close();
            return;
        }
        timer = ctx.executor().schedule(this, Math.min(quietUntil, deadline) - now, TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
        if (codec != null) {
            codec.markRead();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        lastRead = clock.getAsLong();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            ctx.channel().close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client connection {} failed while closing", ctx.channel(), cause);
        ctx.channel().close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimer();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelTimer();
    }

    private void cancelTimer() {
        ScheduledFuture<?> t = timer;
        timer = null;
        if (t != null) {
            t.cancel(false);
        }
    }
}
