package io.outpost.proxy;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;

/**
 * The event loop for the gateway's own outbound calls that no client request waits on: active health
 * checks and identity providers' key fetches. Made on first use; its thread is a daemon and lives as
 * long as the process.
 */
public final class Background {

    private Background() {}

    private static final class Holder {
        static final EventLoopGroup GROUP = Transport.best().newGroup(1, "outpost-background");
    }

    public static EventLoop loop() {
        return Holder.GROUP.next();
    }
}
