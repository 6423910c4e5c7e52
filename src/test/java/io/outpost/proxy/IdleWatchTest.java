package io.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Idle timeouts on the event loop's own (here: moved) time: a connection is found idle after between
 * one and one and a quarter timeouts without a byte, never before.
 */
class IdleWatchTest {

    private static final long TIMEOUT_MS = 1000;

    private final List<Object> events = new ArrayList<>();
    private final EmbeddedChannel ch = new EmbeddedChannel();

    @AfterEach
    void close() {
        ch.finishAndReleaseAll();
    }

    private void advance(long millis) {
        ch.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
    }

    @Test
    void idleAfterOneToOneAndAQuarterTimeoutsWithoutActivityThenAgainEachTimeout() {
        int[] idle = {0};
        ch.freezeTime();
        IdleWatch watch = IdleWatch.start(ch.eventLoop(), TIMEOUT_MS, () -> idle[0]++);
        advance(TIMEOUT_MS - 1);
        assertThat(idle[0]).as("before the timeout").isZero();
        advance(TIMEOUT_MS / 4 + 1);
        assertThat(idle[0]).as("by a quarter past the timeout").isEqualTo(1);
        advance(TIMEOUT_MS);
        assertThat(idle[0]).as("one timeout later, still idle").isEqualTo(2);
        watch.stop();
        advance(10 * TIMEOUT_MS);
        assertThat(idle[0]).as("stopped").isEqualTo(2);
    }

    @Test
    void activityStartsTheIdleTimeAgain() {
        int[] idle = {0};
        ch.freezeTime();
        IdleWatch watch = IdleWatch.start(ch.eventLoop(), TIMEOUT_MS, () -> idle[0]++);
        for (int i = 0; i < 20; i++) {
            advance(TIMEOUT_MS / 2);
            watch.touch();
        }
        assertThat(idle[0]).as("touched every half timeout for ten timeouts").isZero();
        advance(TIMEOUT_MS - 1);
        assertThat(idle[0]).as("less than a timeout since the last activity").isZero();
        advance(TIMEOUT_MS / 4 + 1);
        assertThat(idle[0]).isEqualTo(1);
        watch.stop();
    }

    @Test
    void noTimeoutWatchesNothing() {
        int[] idle = {0};
        ch.freezeTime();
        IdleWatch watch = IdleWatch.start(ch.eventLoop(), 0, () -> idle[0]++);
        advance(1_000_000);
        assertThat(idle[0]).isZero();
        watch.stop();
    }

    /** The codec passes the event on, from the pipeline's head, once no bytes came for the timeout. */
    @Test
    void serverCodecPassesOnAReaderIdleEventUnlessBytesKeepComing() {
        ch.freezeTime();
        ch.pipeline().addLast(new ServerCodec(false, TIMEOUT_MS)).addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                events.add(evt);
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                io.netty.util.ReferenceCountUtil.release(msg);
            }
        });
        for (String part : new String[] {"GET / HT", "TP/1.1\r\n", "Host: x\r\n"}) {
            advance(TIMEOUT_MS * 3 / 4);
            ch.writeInbound(Unpooled.copiedBuffer(part, StandardCharsets.ISO_8859_1));
        }
        assertThat(events).as("a head trickling in, a byte every three quarters of the timeout").isEmpty();
        advance(TIMEOUT_MS + TIMEOUT_MS / 4);
        assertThat(events).containsExactly(IdleStateEvent.READER_IDLE_STATE_EVENT);
        ch.close();
        advance(10 * TIMEOUT_MS);
        assertThat(events).as("closed: no more").hasSize(1);
    }
}
