package io.outpost.proxy;

import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The client-facing HTTP/1.1 codec. It differs from Netty's {@code HttpServerCodec} in one way
 * that matters at an edge: a request carrying both {@code Transfer-Encoding: chunked} and
 * {@code Content-Length} is refused as malformed (RFC 9112 section 6.3 allows a server to reject
 * it, and a proxy that repairs it instead can be used to smuggle requests past another hop).
 */
final class ServerCodec extends CombinedChannelDuplexHandler<ServerCodec.RequestDecoder, ServerCodec.ResponseEncoder> {

    static final int MAX_INITIAL_LINE = 8192;
    static final int MAX_HEADER_SIZE = 16384;

    ServerCodec() {
        ArrayDeque<HttpMethod> methods = new ArrayDeque<>(4);
        HttpDecoderConfig config = new HttpDecoderConfig()
                .setMaxInitialLineLength(MAX_INITIAL_LINE)
                .setMaxHeaderSize(MAX_HEADER_SIZE)
                .setMaxChunkSize(65536)
                .setAllowDuplicateContentLengths(false)
                .setValidateHeaders(true);
        init(new RequestDecoder(config, methods), new ResponseEncoder(methods));
    }

    /** Thrown inside the decoder; the decoder turns it into a failed decoder result. */
    static final class SmugglingException extends IllegalArgumentException {
        SmugglingException() {
            super("both Transfer-Encoding and Content-Length are present");
        }
    }

    static final class RequestDecoder extends HttpRequestDecoder {
        private final ArrayDeque<HttpMethod> methods;

        RequestDecoder(HttpDecoderConfig config, ArrayDeque<HttpMethod> methods) {
            super(config);
            this.methods = methods;
        }

        @Override
        protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
            throw new SmugglingException();
        }

        @Override
        protected void decode(io.netty.channel.ChannelHandlerContext ctx, io.netty.buffer.ByteBuf buffer,
                              List<Object> out) throws Exception {
            int before = out.size();
            super.decode(ctx, buffer, out);
            for (int i = before; i < out.size(); i++) {
                if (out.get(i) instanceof HttpRequest request) {
                    methods.add(request.method());
                }
            }
        }
    }

    /** Remembers which responses answer HEAD requests, so that their bodies are never written. */
    static final class ResponseEncoder extends HttpResponseEncoder {
        private final ArrayDeque<HttpMethod> methods;
        private HttpMethod current;

        ResponseEncoder(ArrayDeque<HttpMethod> methods) {
            this.methods = methods;
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpResponse response) {
            int code = response.status().code();
            if (code >= 200 || code == 101) {
                // A final response consumes the method of the request it answers.
                HttpMethod polled = methods.poll();
                current = polled == null ? current : polled;
            }
            return HttpMethod.HEAD.equals(current) || super.isContentAlwaysEmpty(response);
        }

        /** Fields still in the form an upstream sent them are copied, not re-encoded. */
        @Override
        protected void encodeHeaders(io.netty.handler.codec.http.HttpHeaders headers, io.netty.buffer.ByteBuf buf) {
            if (headers instanceof RawHeaders raw && raw.raw()) {
                raw.writeTo(buf);
            } else {
                super.encodeHeaders(headers, buf);
            }
        }
    }
}
