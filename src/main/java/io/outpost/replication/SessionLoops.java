package io.outpost.replication;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.outpost.upstream.XxHash64;
import java.util.ArrayList;
import java.util.List;

/**
 * Chooses the event loop a session's work runs on. On one of the group's own loops (a client's
 * connection, when the group is the gateway's), the work stays on that loop: the write's lane, its
 * live delivery over a connection of that loop, and the answer to the client then never change
 * thread, and the only hand-offs left are to the journal writer and back. From any other thread (the
 * journal writer, a timer) the session's loop is chosen by a hash of its key.
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
        for (EventLoop loop : loops) {
            if (loop.inEventLoop()) {
                return loop;
            }
        }
        return loops.length == 1 ? loops[0] : loops[(int) Math.floorMod(XxHash64.hash(session), (long) loops.length)];
    }
}
