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
    void writesWaitForTheEndOfTheIterationAndUpstreamConnectionsGoFirst() throws Exception {
        List<String> flushed = new CopyOnWriteArrayList<>();
        EmbeddedChannel client1 = recording("client 1", flushed);
        EmbeddedChannel client2 = recording("client 2", flushed);
        EmbeddedChannel upstream1 = recording("upstream 1", flushed);
        EmbeddedChannel upstream2 = recording("upstream 2", flushed);
        List<Integer> insideTheIteration = new ArrayList<>();

        loop.submit(() -> {
            LoopFlushes flushes = LoopFlushes.of(loop);
            client2.write("to client 2");
            LoopFlushes.flushClient(flushes, client2);
            upstream2.write("to upstream 2");
            LoopFlushes.flushUpstream(flushes, upstream2);
            client1.write("to client 1");
            LoopFlushes.flushClient(flushes, client1);
            upstream1.write("to upstream 1");
            LoopFlushes.flushUpstream(flushes, upstream1);
            insideTheIteration.add(client1.outboundMessages().size() + client2.outboundMessages().size()
                    + upstream1.outboundMessages().size() + upstream2.outboundMessages().size());
        }).sync();
        await().atMost(Duration.ofSeconds(5)).until(() -> flushed.size() == 4);

        assertThat(insideTheIteration).containsExactly(0);
        assertThat(flushed).as("each side in the order asked, upstream connections first")
                .containsExactly("upstream 2", "upstream 1", "client 2", "client 1");
        assertThat((Object) client1.readOutbound()).isEqualTo("to client 1");
        assertThat((Object) upstream2.readOutbound()).isEqualTo("to upstream 2");
    }

    @Test
    void aFlushAskedForWhileFlushingIsDoneInTheSamePass() throws Exception {
        List<String> flushed = new CopyOnWriteArrayList<>();
        LoopFlushes[] flushes = new LoopFlushes[1];
        EmbeddedChannel answer = recording("answer to the client", flushed);
        EmbeddedChannel retry = recording("retry upstream", flushed);
        // A client flush that fails its connection, and an upstream one whose failure answers the
        // client, each asking for a flush of the other side while the pass runs.
        EmbeddedChannel failingClient = asking("failing client", flushed, () -> {
            retry.write("to the retry");
            LoopFlushes.flushUpstream(flushes[0], retry);
        });
        EmbeddedChannel failingUpstream = asking("failing upstream", flushed, () -> {
            answer.write("502");
            LoopFlushes.flushClient(flushes[0], answer);
        });

        loop.submit(() -> {
            flushes[0] = LoopFlushes.of(loop);
            failingClient.write("to the client");
            LoopFlushes.flushClient(flushes[0], failingClient);
            failingUpstream.write("to the upstream");
            LoopFlushes.flushUpstream(flushes[0], failingUpstream);
        }).sync();
        await().atMost(Duration.ofSeconds(5)).until(() -> flushed.size() == 4);

        assertThat(flushed).containsExactly("failing upstream", "failing client", "answer to the client",
                "retry upstream");
        assertThat((Object) answer.readOutbound()).isEqualTo("502");
        assertThat((Object) retry.readOutbound()).isEqualTo("to the retry");
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
        LoopFlushes.flushClient(null, ch);
        assertThat((Object) ch.readOutbound()).isEqualTo("now");
        ch.write("also now");
        LoopFlushes.flushUpstream(null, ch);
        assertThat((Object) ch.readOutbound()).isEqualTo("also now");
    }

    private static EmbeddedChannel recording(String name, List<String> flushed) {
        return asking(name, flushed, () -> { });
    }

    /** A channel that records its flush and then runs {@code duringFlush}. */
    private static EmbeddedChannel asking(String name, List<String> flushed, Runnable duringFlush) {
        return new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
            @Override
            public void flush(ChannelHandlerContext ctx) {
                flushed.add(name);
                duringFlush.run();
                ctx.flush();
            }
        });
    }
}
