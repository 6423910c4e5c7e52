package io.outpost.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/** Responses the gateway writes itself: errors, redirects and middleware answers. */
public final class LocalResponses {

    private LocalResponses() {
    }

    public static FullHttpResponse text(ByteBufAllocator alloc, HttpResponseStatus status, HttpHeaders extra,
                                        String contentType, CharSequence body) {
        ByteBuf content = body == null || body.length() == 0
                ? alloc.buffer(0, 0)
                : io.netty.buffer.ByteBufUtil.writeUtf8(alloc, body);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        if (extra != null) {
            response.headers().set(extra);
        }
        if (content.isReadable() && contentType != null) {
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        return response;
    }

    /**
     * {@code response} as the answer to a HEAD request: without content (RFC 9110 section 9.3.2), its
     * fields, {@code Content-Length} included, still the ones a GET would get. Releases {@code response}.
     */
    static FullHttpResponse withoutContent(FullHttpResponse response) {
        if (!response.content().isReadable()) {
            return response;
        }
        FullHttpResponse bodiless = response.replace(Unpooled.EMPTY_BUFFER);
        response.release();
        return bodiless;
    }

    /** A short JSON error: {@code {"status":502,"error":"Bad Gateway","reason":"..."}}. */
    public static FullHttpResponse error(ByteBufAllocator alloc, HttpResponseStatus status, String reason) {
        return text(alloc, status, null, "application/json", errorJson(status, reason));
    }

    /**
     * The body of every error the gateway answers itself, so that clients parse one shape:
     * {@code {"status":403,"error":"Forbidden","reason":"..."}} and a newline.
     */
    public static String errorJson(HttpResponseStatus status, String reason) {
        StringBuilder json = new StringBuilder(96).append("{\"status\":").append(status.code())
                .append(",\"error\":\"").append(status.reasonPhrase()).append('"');
        if (reason != null) {
            json.append(",\"reason\":\"");
            appendEscaped(json, reason);
            json.append('"');
        }
        return json.append("}\n").toString();
    }

    static void appendEscaped(StringBuilder out, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
    }
}
