package io.outpost.proxy;

import io.netty.handler.codec.http.HttpContent;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * The request body chunks an exchange holds: those that arrived before an upstream connection was
 * ready, a buffered body kept for retries, a body being read in full, and the tee that copies it to
 * mirrors. Made only for exchanges that hold something.
 */
final class HeldBody {

    private final ArrayDeque<HttpContent> chunks = new ArrayDeque<>(4);
    private BodyTee tee;

    void add(HttpContent content) {
        chunks.add(content);
    }

    /**
     * Writes every chunk with {@code writer}: kept ones as retained duplicates (a buffered body stays
     * for a retry), others handed over.
     */
    void writeAll(boolean keep, Consumer<HttpContent> writer) {
        if (keep) {
            for (HttpContent c : chunks) {
                writer.accept(c.retainedDuplicate());
            }
        } else {
            HttpContent c;
            while ((c = chunks.poll()) != null) {
                writer.accept(c);
            }
        }
    }

    /** The whole body as one array; the chunks are released. */
    byte[] drain() {
        int size = 0;
        for (HttpContent c : chunks) {
            size += c.content().readableBytes();
        }
        byte[] body = new byte[size];
        int at = 0;
        HttpContent c;
        while ((c = chunks.poll()) != null) {
            int n = c.content().readableBytes();
            c.content().getBytes(c.content().readerIndex(), body, at, n);
            at += n;
            c.release();
        }
        return body;
    }

    /** Starts copying to {@code tee}, first the chunks already held. */
    void tee(BodyTee tee, boolean complete) {
        for (HttpContent c : chunks) {
            tee.onContent(c.content());
        }
        if (complete) {
            tee.onEnd(true);
        } else {
            this.tee = tee;
        }
    }

    /** Copies a chunk as it arrives to the tee, if one listens. */
    void teeing(HttpContent content, boolean last) {
        BodyTee t = tee;
        if (t != null) {
            t.onContent(content.content());
            if (last) {
                tee = null;
                t.onEnd(true);
            }
        }
    }

    /** Ends the tee (incomplete) and releases every chunk. */
    void release() {
        BodyTee t = tee;
        if (t != null) {
            tee = null;
            t.onEnd(false);
        }
        HttpContent c;
        while ((c = chunks.poll()) != null) {
            c.release();
        }
    }
}
