package io.outpost.service;

import io.netty.buffer.ByteBuf;
import io.outpost.proxy.BodyTee;
import java.util.Arrays;
import java.util.function.BiConsumer;

/**
 * Copies one request body for its mirrors, up to a limit. When the body ends, the copy goes to
 * {@code done}; a body over the limit or cut short yields {@code null} (not mirrored).
 */
final class MirrorCopy implements BodyTee {

    private static final byte[] EMPTY = new byte[0];

    private final long max;
    private final BiConsumer<byte[], Integer> done;
    private byte[] bytes = EMPTY;
    private int size;
    private boolean overflow;

    MirrorCopy(long max, BiConsumer<byte[], Integer> done) {
        this.max = max;
        this.done = done;
    }

    @Override
    public void onContent(ByteBuf content) {
        int n = content.readableBytes();
        if (overflow || n == 0) {
            return;
        }
        if (size + (long) n > max) {
            overflow = true;
            bytes = EMPTY;
            return;
        }
        if (size + n > bytes.length) {
            bytes = Arrays.copyOf(bytes, (int) Math.min(max, Math.max(size + n, bytes.length * 2L)));
        }
        content.getBytes(content.readerIndex(), bytes, size, n);
        size += n;
    }

    @Override
    public void onEnd(boolean complete) {
        done.accept(complete && !overflow ? bytes : null, size);
    }
}
