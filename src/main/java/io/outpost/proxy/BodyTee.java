package io.outpost.proxy;

import io.netty.buffer.ByteBuf;

/**
 * Sees a request body stream past on its way upstream, for example to copy it for a mirror. Runs on
 * the exchange's event loop; it must copy what it needs and neither retain nor move the buffer.
 */
public interface BodyTee {

    /** One chunk of the body; read it with absolute indexes or a duplicate. */
    void onContent(ByteBuf content);

    /** The body ended: {@code complete} is false when the exchange ended before its last byte. */
    void onEnd(boolean complete);
}
