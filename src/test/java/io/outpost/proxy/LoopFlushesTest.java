package io.outpost.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LoopFlushesTest {

    private final EventLoopGroup group = new NioEventLoopGroup(1);
    private final EventLoop loop = group.next();

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void writesWaitForTheEndOfTheIterationAndGoOutInTheOrderAsked() throws Exception {
        List<String> flushed = new CopyOnWriteArrayList<>();
        EmbeddedChannel a = recording("a", flushed);
        EmbeddedChannel b = recording("b", flushed);
        List<Integer> insideTheIteration = new ArrayList<>();

        loop.submit(() -> {
            LoopFlushes flushes = LoopFlushes.of(loop);
            b.write("to b");
            LoopFlushes.flush(flushes, b);
            a.write("to a");
            LoopFlushes.flush(flushes, a);
            insideTheIteration.add(a.outboundMessages().size() + b.outboundMessages().size());
        }).sync();
        await().atMost(Duration.ofSeconds(5)).until(() -> flushed.size() == 2);

        assertThat(insideTheIteration).containsExactly(0);
        assertThat(flushed).containsExactly("b", "a");
        assertThat((Object) a.readOutbound()).isEqualTo("to a");
        assertThat((Object) b.readOutbound()).isEqualTo("to b");
    }

    @Test
    void aFlushAskedForWhileFlushingIsDoneInTheSamePass() throws Exception {
        List<String> flushed = new CopyOnWriteArrayList<>();
        EmbeddedChannel second = recording("second", flushed);
        LoopFlushes[] flushes = new LoopFlushes[1];
        EmbeddedChannel first = new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
            @Override
            public void flush(ChannelHandlerContext ctx) {
                flushed.add("first");
                second.write("to second");
                LoopFlushes.flush(flushes[0], second); // as a failed connection's answer would
                ctx.flush();
            }
        });

        loop.submit(() -> {
            flushes[0] = LoopFlushes.of(loop);
            first.write("to first");
            LoopFlushes.flush(flushes[0], first);
        }).sync();
        await().atMost(Duration.ofSeconds(5)).until(() -> flushed.size() == 2);

        assertThat(flushed).containsExactly("first", "second");
        assertThat((Object) second.readOutbound()).isEqualTo("to second");
    }

    @Test
    void elsewhereAFlushHappensAtOnce() throws Exception {
        assertThat(LoopFlushes.of(loop)).as("called off the loop").isNull();
        DefaultEventLoop plain = new DefaultEventLoop();
        try {
            assertThat(plain.submit(() -> LoopFlushes.of(plain)).get()).as("a loop without tail tasks").isNull();
        } finally {
            plain.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.write("now");
        LoopFlushes.flush(null, ch);
        assertThat((Object) ch.readOutbound()).isEqualTo("now");
    }

    private static EmbeddedChannel recording(String name, List<String> flushed) {
        return new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
            @Override
            public void flush(ChannelHandlerContext ctx) {
                flushed.add(name);
                ctx.flush();
            }
        });
    }
}
