package io.outpost.replication;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.outpost.upstream.XxHash64;
import java.util.ArrayList;
import java.util.List;

/**
 * Gives every session one event loop of the delivery group. A write's lane, its live delivery, the
 * shadow deliveries of its session and their connections all run there, so the only hand-offs left
 * on the write path are to the journal writer and back to the client's connection.
 */
final class SessionLoops {

    private final EventLoop[] loops;

    SessionLoops(EventLoopGroup group) {
        List<EventLoop> all = new ArrayList<>();
        for (EventExecutor e : group) {
            all.add((EventLoop) e);
        }
        if (all.isEmpty()) {
            throw new IllegalArgumentException("group: no event loops (expected: at least one)");
        }
        this.loops = all.toArray(new EventLoop[0]);
    }

    EventLoop of(String session) {
        return loops.length == 1 ? loops[0] : loops[(int) Math.floorMod(XxHash64.hash(session), (long) loops.length)];
    }
}
