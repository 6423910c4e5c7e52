package io.outpost.proxy;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocal;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of a client connection. It validates each request head, routes it, and hands
 * it to a {@link ProxyExchange}, which forwards through the connection's {@link UpstreamAttempt}.
 * Requests on one connection are served one at a time: anything pipelined behind a complete
 * request waits in a backlog, with reading paused, until the response before it is done. A
 * connection that ends with input still coming (a body not read, a malformed head) closes through
 * a {@link LingeringClose}, so that the answer reaches the client. A request not read in full
 * within the read timeout of its first byte is answered 408 (Traefik's
 * {@code respondingTimeouts.readTimeout}); one timer per connection, re-armed lazily, keeps that
 * bound, so a request costs a field write.
 */
final class FrontendHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(FrontendHandler.class);

    static final int PAUSE_CONNECTING = 1;
    static final int PAUSE_UPSTREAM = 2;
    static final int PAUSE_PIPELINE = 4;
    /** Body bytes arrived before the service decided where the request goes (an async middleware). */
    static final int PAUSE_ROUTING = 8;

    private final GatewayContext gateway;
    private final String entryPoint;
    private final boolean secure;
    private final ForwardedTrust forwardedTrust;
    private final Lingering lingering;
    private final long readTimeoutNanos;

    private ChannelHandlerContext ctx;
    private UpstreamPool pool;
    private UpstreamAttempt attempt;
    private String clientIp = "";
    /** Whether this connection's client may send forwarding headers the gateway keeps; decided once. */
    private boolean trustedForwarder;
    private ProxyExchange current;
    private ArrayDeque<Object> backlog;
    private boolean dispatching;
    private boolean reading;
    private int paused;
    private boolean closing;
    /** When the request being read must have arrived in full ({@link GatewayContext#nanoTime()}); 0: none is. */
    private long readDeadline;
    private io.netty.util.concurrent.ScheduledFuture<?> readTimer;

    FrontendHandler(GatewayContext gateway, String entryPoint, boolean secure, ForwardedTrust forwardedTrust,
                    Lingering lingering, long readTimeoutNanos) {
        this.gateway = gateway;
        this.readTimeoutNanos = readTimeoutNanos;
        this.entryPoint = entryPoint;
        this.secure = secure;
        this.forwardedTrust = forwardedTrust;
        this.lingering = lingering;
    }

    boolean secure() {
        return secure;
    }

    String entryPoint() {
        return entryPoint;
    }

    String clientIp() {
        return clientIp;
    }

    UpstreamPool pool() {
        return pool;
    }

    /** What this connection's exchanges forward with, one at a time. */
    UpstreamAttempt attempt() {
        return attempt;
    }

    /** True between a read from the client and its read-complete, which flushes upstream writes. */
    boolean reading() {
        return reading;
    }

    long nanoTime() {
        return gateway.nanoTime();
    }

    boolean draining() {
        return gateway.draining();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.pool = gateway.pool(ctx.channel().eventLoop());
        this.attempt = new UpstreamAttempt(this, ctx);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (ctx.channel().remoteAddress() instanceof InetSocketAddress remote && remote.getAddress() != null) {
            clientIp = remote.getAddress().getHostAddress();
        }
        trustedForwarder = forwardedTrust.trusts(clientIp);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        reading = true;
        if (closing) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (current != null && current.requestComplete() || backlog != null && !backlog.isEmpty()) {
            // Pipelined: it belongs to a request after the one being served.
            if (backlog == null) {
                backlog = new ArrayDeque<>(4);
            }
            backlog.add(msg);
            pauseReading(PAUSE_PIPELINE);
            return;
        }
        dispatch(msg);
    }

    private void dispatch(Object msg) {
        dispatching = true;
        try {
            if (msg instanceof LastHttpContent) {
                readDeadline = 0; // the request is read in full (from here, a body still owed is no one's)
            } else if (msg instanceof HttpRequest || msg == ServerCodec.HEAD_ARRIVING) {
                startReadClock();
            }
            if (msg instanceof HttpRequest request) {
                startExchange(request);
                if (msg instanceof HttpContent content && current != null) {
                    current.onRequestContent(content);
                } else {
                    ReferenceCountUtil.release(msg);
                }
            } else if (msg instanceof HttpContent content) {
                DecoderResult result = content.decoderResult();
                if (current == null) {
                    content.release();
                } else if (!result.isSuccess()) {
                    content.release();
                    current.fail(HttpResponseStatus.BAD_REQUEST, "malformed request body: " + cause(result));
                } else {
                    current.onRequestContent(content);
                }
            } else {
                ReferenceCountUtil.release(msg);
            }
        } finally {
            dispatching = false;
        }
        drainBacklog();
    }

    /** A request starts arriving: it must be read in full within the read timeout. */
    private void startReadClock() {
        if (readTimeoutNanos == 0 || readDeadline != 0) {
            return;
        }
        long deadline = gateway.nanoTime() + readTimeoutNanos;
        readDeadline = deadline == 0 ? 1 : deadline;
        if (readTimer == null) {
            // An armed timer fires before this deadline (the timeout is the same for every request):
            // it re-arms itself for what is left.
            readTimer = ctx.executor().schedule(this::onReadTimer, readTimeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void onReadTimer() {
        readTimer = null;
        long deadline = readDeadline;
        if (deadline == 0 || closing) {
            return;
        }
        long left = deadline - gateway.nanoTime();
        if (left > 0) {
            readTimer = ctx.executor().schedule(this::onReadTimer, left, TimeUnit.NANOSECONDS);
            return;
        }
        readDeadline = 0;
        ProxyExchange ex = current;
        if (ex == null) {
            headTimedOut(deadline - readTimeoutNanos);
        } else if (!ex.requestComplete()) {
            // Once a response has begun (an upstream answered early), this only closes the connection.
            ex.fail(HttpResponseStatus.REQUEST_TIMEOUT, "request not read in full within the read timeout");
        }
    }

    /** A request head still arriving when the read timeout ran out: 408, then the connection ends. */
    private void headTimedOut(long startNanos) {
        FullHttpResponse response = LocalResponses.error(ctx.alloc(), HttpResponseStatus.REQUEST_TIMEOUT,
                "request head not read in full within the read timeout");
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        int responseBytes = response.content().readableBytes();
        closing = true;
        releaseBacklog();
        ChannelFuture written = ctx.writeAndFlush(response);
        gateway.finished(new RejectedRequest("", entryPoint, clientIp, "", "", "", "",
                HttpResponseStatus.REQUEST_TIMEOUT.code(), responseBytes), gateway.nanoTime() - startNanos);
        LingeringClose.after(written, ctx, lingering, gateway::nanoTime);
    }

    private void drainBacklog() {
        while (!dispatching && !closing && backlog != null && !backlog.isEmpty()
                && (current == null || !current.requestComplete())) {
            dispatch(backlog.poll());
        }
        if (backlog == null || backlog.isEmpty()) {
            resumeReading(PAUSE_PIPELINE);
        }
    }

    private void startExchange(HttpRequest request) {
        DecoderResult result = request.decoderResult();
        if (!result.isSuccess()) {
            rejectMalformed(request, null, result.cause());
            return;
        }
        HttpHeaders headers = request.headers();
        RequestInfo info;
        try {
            info = RequestInfo.parse(request.uri(), headers.get(HttpHeaderNames.HOST),
                    request.protocolVersion().equals(HttpVersion.HTTP_1_1), count(headers, HttpHeaderNames.HOST));
        } catch (RequestInfo.InvalidRequestException e) {
            rejectMalformed(request, null, e);
            return;
        }
        ProxyExchange ex = new ProxyExchange(this, ctx, request, info, gateway.nanoTime());
        current = ex;
        gateway.exchangeStarted();
        String expect = headers.get(HttpHeaderNames.EXPECT);
        if (expect != null && !HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect.trim())) {
            ex.fail(HttpResponseStatus.EXPECTATION_FAILED, "unsupported expectation: " + expect);
            return;
        }
        if (!request.uri().startsWith("/") && !request.uri().equals("*")) {
            // Absolute form: RFC 9112 section 3.2.2, the Host sent on is the target's authority,
            // the one the request was routed by, never the received Host field.
            headers.set(HttpHeaderNames.HOST, info.authority());
        }
        if (!request.uri().equals("*") && !request.uri().startsWith(info.path())) {
            // Absolute form, or a path that lost dot segments: forward what was routed.
            request.setUri(info.query().isEmpty() ? info.path() : info.path() + "?" + info.query());
        }
        ProxyHeaders.removeRequestHopByHop(headers);
        ProxyHeaders.frameBody(headers);
        String requestId = headers.get(ProxyHeaders.X_REQUEST_ID);
        if (requestId == null || requestId.isEmpty()) {
            requestId = newRequestId();
            headers.set(ProxyHeaders.X_REQUEST_ID, requestId);
        }
        ProxyHeaders.addForwarded(headers, clientIp, secure, info.authority(), trustedForwarder);
        RouteTarget target = gateway.routing().route(entryPoint, ex);
        if (target == null) {
            ex.route("", "", requestId);
            ex.fail(HttpResponseStatus.NOT_FOUND, "no router matches " + info.host() + info.path());
            return;
        }
        ex.route(target.routerName(), target.serviceName(), requestId);
        try {
            target.chain().proceed(ex);
        } catch (RuntimeException e) {
            log.error("router {}: request {} failed in its chain", target.routerName(), requestId, e);
            ex.fail(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error");
        }
    }

    private static int count(HttpHeaders headers, CharSequence name) {
        if (headers instanceof RawHeaders raw) {
            return raw.count(name);
        }
        int n = 0;
        for (java.util.Iterator<String> it = headers.valueStringIterator(name); it.hasNext(); it.next()) {
            n++;
        }
        return n;
    }

    /**
     * Answers a request that never becomes an exchange, logs it as one (so that what a client got
     * wrong shows in the access log), and ends the connection: what follows the head can not be
     * told apart from the next request (a transfer coding the gateway does not implement gets 501,
     * and the close RFC 9112 section 6.1 asks for after it).
     */
    private void rejectMalformed(HttpRequest request, RequestInfo info, Throwable cause) {
        long start = gateway.nanoTime();
        HttpResponseStatus status = HttpResponseStatus.BAD_REQUEST;
        if (cause instanceof TooLongHttpLineException) {
            status = HttpResponseStatus.REQUEST_URI_TOO_LONG;
        } else if (cause instanceof TooLongHttpHeaderException) {
            status = HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
        } else if (cause instanceof ServerCodec.NotImplementedCodingException) {
            status = HttpResponseStatus.NOT_IMPLEMENTED;
        } else if (cause instanceof TooLongFrameException) {
            status = HttpResponseStatus.BAD_REQUEST;
        }
        var response = LocalResponses.error(ctx.alloc(), status, cause == null ? null : cause.getMessage());
        if (HttpMethod.HEAD.equals(request.method())) {
            // A refused head's method is the one its line starts with, when it could be read (ServerCodec).
            response = LocalResponses.withoutContent(response);
        }
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        int responseBytes = response.content().readableBytes();
        closing = true;
        releaseBacklog();
        ChannelFuture written = ctx.writeAndFlush(response);
        gateway.finished(RejectedRequest.of(request, info, entryPoint, clientIp, status.code(), responseBytes),
                gateway.nanoTime() - start);
        LingeringClose.after(written, ctx, lingering, gateway::nanoTime);
    }

    private static String cause(DecoderResult result) {
        Throwable t = result.cause();
        return t == null ? "unknown" : t.getMessage();
    }

    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** Where {@link #newRequestId} writes its digits before the string copies them: one per thread. */
    private static final FastThreadLocal<byte[]> ID_DIGITS = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[32];
        }
    };

    /** 128 random bits as 32 lowercase hex digits. */
    private static String newRequestId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        byte[] out = ID_DIGITS.get();
        long a = random.nextLong();
        long b = random.nextLong();
        for (int i = 0; i < 16; i++) {
            out[i] = HEX[(int) ((a >>> (60 - 4 * i)) & 0xF)];
            out[16 + i] = HEX[(int) ((b >>> (60 - 4 * i)) & 0xF)];
        }
        return new String(out, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** Called by the exchange once its response is fully written (or abandoned). */
    void exchangeDone(ProxyExchange ex, boolean keepAlive) {
        if (ex != current) {
            return;
        }
        current = null;
        gateway.exchangeEnded();
        gateway.finished(ex, gateway.nanoTime() - ex.startNanos());
        if (!keepAlive || gateway.draining()) {
            closing = true;
            // Input may still be on its way: the rest of a body not read, requests pipelined
            // behind this one. Closing with it unread would reset the connection, answer and all.
            boolean unread = ex.bodyUnread() || backlog != null && !backlog.isEmpty();
            releaseBacklog();
            ChannelFuture flushed = ctx.writeAndFlush(Unpooled.EMPTY_BUFFER);
            if (unread) {
                LingeringClose.after(flushed, ctx, lingering, gateway::nanoTime);
            } else {
                flushed.addListener(ChannelFutureListener.CLOSE);
            }
            return;
        }
        drainBacklog();
    }

    void pauseReading(int reason) {
        if (closing) {
            return; // the connection is ending; a lingering close reads whatever still comes
        }
        if ((paused & reason) == 0) {
            paused |= reason;
            ctx.channel().config().setAutoRead(false);
        }
    }

    void resumeReading(int reason) {
        if ((paused & reason) != 0) {
            paused &= ~reason;
            if (paused == 0 && !closing) {
                ctx.channel().config().setAutoRead(true);
            }
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        reading = false;
        attempt.flushToUpstream();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        attempt.onClientWritabilityChanged(ctx.channel().isWritable());
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        if (readTimer != null) {
            readTimer.cancel(false);
            readTimer = null;
        }
        ProxyExchange ex = current;
        if (ex != null) {
            ex.onClientClosed();
        }
        releaseBacklog();
        ctx.fireChannelInactive();
    }

    private void releaseBacklog() {
        if (backlog != null) {
            Object msg;
            while ((msg = backlog.poll()) != null) {
                ReferenceCountUtil.release(msg);
            }
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            ProxyExchange ex = current;
            if (ex == null) {
                ctx.close();
            } else if (paused == 0 && ex.awaitingRequestBody()) {
                // The client stopped sending a body it owes while the gateway was reading: without
                // this, it would hold this connection and an upstream one for ever (slowloris).
                ex.fail(HttpResponseStatus.REQUEST_TIMEOUT, "no request body bytes for the idle timeout");
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client connection {} failed", ctx.channel(), cause);
        ctx.close();
    }
}
