package io.outpost.proxy;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a decoder made of a byte stream, as lines that are the same however the stream was split
 * into reads: one per head (with its fields), one for the body's bytes (however many contents
 * carried them), one per end (with its trailers). Failures name their exception and its message.
 * {@link #of} feeds a channel and releases every message it reads.
 */
final class Decoded {

    /** Buffers leak detection does not track. */
    private static final ByteBufAllocator UNTRACKED = new UnpooledByteBufAllocator(false, true);

    final List<String> events = new ArrayList<>();
    /** The messages whose heads were accepted, in order, for checks on their fields and framing. */
    final List<Message> messages = new ArrayList<>();
    /** Why heads or bodies were refused. */
    final List<Throwable> failures = new ArrayList<>();
    /** Set when {@link ServerCodec#HEAD_ARRIVING} came while a message was still being read. */
    String misplacedMarker;
    private final StringBuilder body = new StringBuilder();
    private boolean inMessage;

    /**
     * A message whose head was accepted: its body's bytes, and whether it ended ({@code ended}) well
     * ({@code refused} false) or with its framing refused.
     */
    record Message(HttpMessage head, byte[] body, boolean ended, boolean refused) {}

    /**
     * Writes {@code wire} to {@code channel} in one read, then closes it. The bytes are in a pooled
     * buffer: leak detection tracks it, and whatever the codec slices from it.
     */
    static Decoded of(EmbeddedChannel channel, byte[] wire) {
        return of(channel, wire, new int[0], ByteBufAllocator.DEFAULT);
    }

    /**
     * Writes {@code wire} to {@code channel} in pieces ending at {@code cuts}, then closes it. Stops
     * early when the codec closed the channel (an upstream codec does on a malformed response). The
     * pieces, and the buffers the codec gathers them in, are not tracked by leak detection, whose
     * paranoid level records a stack trace at nearly every access: the same bytes in one tracked read
     * ({@link #of(EmbeddedChannel, byte[])}) check the codec's handling of buffers.
     */
    static Decoded of(EmbeddedChannel channel, byte[] wire, int[] cuts) {
        return of(channel, wire, cuts, UNTRACKED);
    }

    private static Decoded of(EmbeddedChannel channel, byte[] wire, int[] cuts, ByteBufAllocator alloc) {
        channel.config().setAllocator(alloc);
        Decoded decoded = new Decoded();
        int from = 0;
        for (int i = 0; i <= cuts.length && from < wire.length && channel.isOpen(); i++) {
            int to = i < cuts.length ? cuts[i] : wire.length;
            channel.writeInbound(alloc.buffer(to - from).writeBytes(wire, from, to - from));
            decoded.readAll(channel);
            from = to;
        }
        channel.finish();
        decoded.readAll(channel);
        return decoded;
    }

    /** An upstream connection that has sent requests with these methods, awaiting their responses. */
    static EmbeddedChannel upstream(String... methods) {
        EmbeddedChannel channel = new EmbeddedChannel(new UpstreamCodec());
        for (String method : methods) {
            channel.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method), "/",
                    Unpooled.EMPTY_BUFFER));
            ReferenceCountUtil.release(channel.readOutbound());
        }
        return channel;
    }

    private void readAll(EmbeddedChannel channel) {
        Object m;
        while ((m = channel.readInbound()) != null) {
            try {
                add(m);
            } finally {
                ReferenceCountUtil.release(m);
            }
        }
    }

    private void add(Object m) {
        if (m == ServerCodec.HEAD_ARRIVING) {
            if (inMessage && misplacedMarker == null) {
                misplacedMarker = "a head marker inside the message after " + events;
            }
            return;
        }
        if (m instanceof HttpRequest r) {
            if (r.decoderResult().isSuccess()) {
                events.add(request(r.method().name(), r.uri(), r.protocolVersion().text(), fields(r.headers())));
                messages.add(new Message(r, new byte[0], false, false));
                inMessage = true;
            } else {
                events.add("> refused " + failure(r.decoderResult()) + " as " + r.method() + " " + r.uri());
            }
        } else if (m instanceof HttpResponse r) {
            if (r.decoderResult().isSuccess()) {
                events.add(response(r.protocolVersion().text(), r.status().code(), r.status().reasonPhrase(),
                        fields(r.headers())));
                messages.add(new Message(r, new byte[0], false, false));
                inMessage = true;
            } else {
                events.add("< refused " + failure(r.decoderResult()));
            }
        }
        if (m instanceof HttpContent c) {
            body.append(c.content().toString(StandardCharsets.ISO_8859_1));
        }
        if (m instanceof LastHttpContent last) {
            String bytes = body.toString();
            body.setLength(0);
            inMessage = false;
            if (!bytes.isEmpty()) {
                events.add(body(bytes));
            }
            boolean refused = !last.decoderResult().isSuccess();
            events.add(refused ? "end refused " + failure(last.decoderResult()) : end(fields(last.trailingHeaders())));
            if (!messages.isEmpty()) {
                Message open = messages.remove(messages.size() - 1);
                messages.add(new Message(open.head(), bytes.getBytes(StandardCharsets.ISO_8859_1), true, refused));
            }
        }
    }

    /** The body bytes of a message whose end has not come; empty when every message ended. */
    byte[] unfinishedBody() {
        return body.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private String failure(DecoderResult result) {
        Throwable cause = result.cause();
        failures.add(cause);
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }

    private static List<String> fields(HttpHeaders headers) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> field : headers.entries()) {
            out.add(field.getKey() + ": " + field.getValue());
        }
        return out;
    }

    static String request(String method, String uri, String version, List<String> fields) {
        return "> " + method + " " + escape(uri) + " " + version + lines(fields);
    }

    static String response(String version, int code, String reason, List<String> fields) {
        return "< " + version + " " + code + " " + escape(reason) + lines(fields);
    }

    static String body(String bytes) {
        return "body " + escape(bytes);
    }

    static String end(List<String> trailers) {
        return "end" + lines(trailers);
    }

    private static String lines(List<String> fields) {
        StringBuilder out = new StringBuilder();
        for (String field : fields) {
            out.append("\n  ").append(escape(field));
        }
        return out.toString();
    }

    /** Control and non-ASCII characters as {@code \xNN}, so that a failure message shows them. */
    static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c >= 0x7f || c == '\\') {
                out.append(String.format("\\x%02x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
