package io.outpost.proxy;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;

/**
 * Sends an exchange's request to one upstream and relays the response: takes an idle pooled
 * connection to the target or opens one (if the service's listener allows it), writes the head and
 * the body as it arrives, waits for the response head within the service's timeout, and streams
 * the response to the client, pausing whichever side reads while the other side cannot take more.
 * A request sent on a pooled connection that the upstream had closed goes once more on a new one;
 * any other failure before a response head goes back to the service's {@link ForwardListener},
 * which may forward again (a new attempt) or let the exchange answer 502 or 504.
 *
 * <p>A client connection serves one exchange at a time (HTTP/1.1), so it keeps one attempt and
 * reuses it for every attempt of every exchange: forwarding allocates nothing per request. Each
 * exchange starts from nothing ({@link #exchangeDone}). Runs on the client connection's event loop.
 */
final class UpstreamAttempt {

    private final FrontendHandler frontend;
    private final ChannelHandlerContext client;
    /** Where this connection's flushes wait for the end of the event loop's iteration. */
    private final LoopFlushes flushes;

    private ProxyExchange exchange;
    private UpstreamTarget target;
    private ForwardListener listener = ForwardListener.NONE;
    private ForwardOptions options = ForwardOptions.DEFAULTS;
    /** True from {@link #start} until the listener heard the attempt's end. */
    private boolean open;
    /** A new connection is being opened; the client's reading is paused meanwhile. */
    private boolean connecting;
    private Channel upstream;
    private BackendHandler backend;
    /** The current connection came from the pool and nothing of a response has arrived on it yet. */
    private boolean reusedConnection;
    /** The exchange's request, sent on a pooled connection that the upstream had closed, was resent once already. */
    private boolean resentOnFreshConnection;
    /** Some of the request body went upstream, with this attempt or an earlier one of the exchange. */
    private boolean bodyForwarded;
    /** The end of the request went out: a head with nothing to follow, or the last body chunk. */
    private boolean lastSent;
    /** Written upstream, not flushed yet: the client's read-complete flushes it. */
    private boolean upstreamNeedsFlush;
    /** An informational (1xx) response is being dropped up to its end. */
    private boolean skipInformational;
    /** A response head not yet written: if its last content follows in the same read, both go out as one message. */
    private HttpResponse heldHead;
    /** The upstream connection may carry another request once this response ends. */
    private boolean upstreamKeepAlive;
    /** Written to the client, not flushed yet: the upstream's read-complete flushes it. */
    private boolean clientNeedsFlush;

    UpstreamAttempt(FrontendHandler frontend, ChannelHandlerContext client) {
        this.frontend = frontend;
        this.client = client;
        this.flushes = LoopFlushes.of(client.executor());
    }

    /**
     * Starts an attempt to send {@code exchange} to {@code target}; {@link #connect} sends it (the
     * exchange may first wait for a body it buffers). The listener hears its end once, from here on.
     */
    void start(ProxyExchange exchange, UpstreamTarget target, ForwardListener listener, ForwardOptions options) {
        this.exchange = exchange;
        this.target = target;
        this.listener = listener;
        this.options = options;
        this.open = true;
    }

    /** Sends the request on an idle pooled connection to the target, or a new one. */
    void connect() {
        connect(false);
    }

    /** {@code fresh}: always on a new connection. */
    private void connect(boolean fresh) {
        ProxyExchange ex = exchange;
        UpstreamPool pool = frontend.pool();
        Channel ch = fresh ? null : pool.pollIdle(target);
        if (ch != null) {
            reusedConnection = true;
            // Called while the client's read is being handled: its read-complete flushes.
            attach(ch, !frontend.reading());
            return;
        }
        reusedConnection = false;
        ForwardListener owner = listener;
        if (!owner.beforeConnect(ex, target)) {
            end(-503);
            HttpHeaders retryAfter = new DefaultHttpHeaders().set("Retry-After", "1");
            ex.respond(HttpResponseStatus.SERVICE_UNAVAILABLE, retryAfter, "application/json",
                    "{\"status\":503,\"error\":\"Service Unavailable\",\"reason\":\"service " + ex.serviceName()
                            + " is at its limit of upstream connections or pending requests\"}\n");
            return;
        }
        connecting = true;
        if (ex.bodyUnread()) {
            // Body bytes would pile up here until the connection is ready. A request without one
            // needs no pause: what the client sends next is the next request, held back anyway.
            frontend.pauseReading(FrontendHandler.PAUSE_CONNECTING);
        }
        UpstreamTarget connectingTo = target;
        pool.connect(target, options.connectTimeoutMillis()).addListener((ChannelFuture f) -> {
            owner.afterConnect(ex, connectingTo);
            // A failed attempt's channel is closed already, so this also releases a refused slot.
            f.channel().closeFuture().addListener(closed -> owner.connectionClosed(connectingTo));
            if (ex.finished() || connectingTo != target) {
                if (f.isSuccess()) {
                    f.channel().close();
                }
                return;
            }
            connecting = false;
            frontend.resumeReading(FrontendHandler.PAUSE_CONNECTING);
            if (f.isSuccess()) {
                attach(f.channel(), true);
            } else {
                notReached(f.cause(), false);
            }
        });
    }

    private void attach(Channel ch, boolean flushNow) {
        ProxyExchange ex = exchange;
        HttpRequest request = ex.request();
        upstream = ch;
        backend = BackendHandler.of(ch);
        backend.attach(this);
        if (!options.passHostHeader()) {
            request.headers().set(HttpHeaderNames.HOST, target.authority());
        }
        HeldBody held = ex.heldBody();
        if (held == null && !ex.hasBody()) {
            // Nothing will follow the head: one message, one buffer (the empty last chunk is skipped).
            ch.write(new DefaultFullHttpRequest(request.protocolVersion(), request.method(), request.uri(),
                    Unpooled.EMPTY_BUFFER, request.headers(), EmptyHttpHeaders.INSTANCE), ch.voidPromise());
            lastSent = true;
        } else {
            ch.write(request, ch.voidPromise());
            lastSent = false;
        }
        if (held != null) {
            // A buffered body stays held so that a retry can send it again.
            held.writeAll(ex.buffersBody(), c -> writeBody(ch, c));
        }
        if (ex.requestComplete() && !lastSent) {
            // A replayed request whose last chunk went out with an earlier attempt.
            writeBody(ch, LastHttpContent.EMPTY_LAST_CONTENT);
        }
        if (flushNow) {
            LoopFlushes.flushUpstream(flushes, ch);
        } else {
            upstreamNeedsFlush = true;
        }
        // A flush made at once (on a loop that cannot defer it, see LoopFlushes) that failed has
        // handed the exchange on before returning (to a retry, an answer, even to the connection's
        // next exchange): arm the deadline and pause the client only for a connection still in use.
        // A closed one is never writable, and nothing would resume reading.
        if (upstream != ch) {
            return;
        }
        if (ex.requestComplete()) {
            armHeaderTimeout();
        }
        if (!ch.isWritable()) {
            frontend.pauseReading(FrontendHandler.PAUSE_UPSTREAM);
        }
    }

    /** True while the request goes out on a connection: body chunks are sent as they arrive. */
    boolean connected() {
        return upstream != null;
    }

    /** Sends a chunk of the request body, pausing the client while the upstream cannot take more. */
    void sendBody(HttpContent content, boolean last) {
        if (last && lastSent && !content.content().isReadable()) {
            content.release(); // the head went out as a complete bodiless request
            flushToUpstream();
            armHeaderTimeout();
            return;
        }
        if (exchange.buffersBody()) {
            content = exchange.keep(content);
        }
        // A write does not hand the exchange on: an open connection queues it, and a closed one drops
        // it (void promise) and reports its close later. Only a flush made at once can fail at once.
        writeBody(upstream, content);
        upstreamNeedsFlush = true;
        if (last) {
            flushToUpstream();
            armHeaderTimeout();
        } else if (!upstream.isWritable()) {
            frontend.pauseReading(FrontendHandler.PAUSE_UPSTREAM);
        }
    }

    private void writeBody(Channel ch, HttpContent c) {
        bodyForwarded |= c.content().isReadable();
        lastSent |= c instanceof LastHttpContent;
        ch.write(c, ch.voidPromise());
    }

    void flushToUpstream() {
        if (upstreamNeedsFlush && upstream != null) {
            upstreamNeedsFlush = false;
            LoopFlushes.flushUpstream(flushes, upstream);
        }
    }

    private void armHeaderTimeout() {
        if (upstream != null) {
            backend.expectResponseWithin(
                    TimeUnit.MILLISECONDS.toNanos(options.responseHeaderTimeoutMillis()));
        }
    }

    private void cancelHeaderTimeout() {
        if (upstream != null) {
            backend.responseArrived();
        }
    }

    // ---- response from the upstream ----

    void onUpstreamMessage(Object msg) {
        ProxyExchange ex = exchange;
        if (ex.finished()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse response) {
            if (!response.decoderResult().isSuccess()) {
                ReferenceCountUtil.release(msg);
                // Detach before anything else: the decoder closes this connection, and its
                // channelInactive, which runs later, must not reach a retry on another connection.
                reusedConnection = false;
                drop();
                onUpstreamClosed(response.decoderResult().cause());
                return;
            }
            int code = response.status().code();
            if (code >= 100 && code < 200 && code != 101) {
                reusedConnection = false;
                skipInformational = true;
                ReferenceCountUtil.release(msg);
                return;
            }
            if (retryInstead(code, false)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            onResponseHead(response);
        }
        if (msg instanceof HttpContent content) {
            if (skipInformational) {
                skipInformational = !(content instanceof LastHttpContent);
                content.release();
                return;
            }
            ex.countResponseBytes(content.content().readableBytes());
            HttpResponse head = heldHead;
            if (head != null && content instanceof LastHttpContent last) {
                // Head and whole body in one read: one message, one buffer, one write system call.
                heldHead = null;
                client.write(new DefaultFullHttpResponse(head.protocolVersion(), head.status(), last.content(),
                        head.headers(), last.trailingHeaders()), client.voidPromise());
            } else {
                writeHeldHead();
                client.write(content, client.voidPromise());
            }
            clientNeedsFlush = true;
            if (content instanceof LastHttpContent) {
                onResponseComplete();
            } else if (!client.channel().isWritable()) {
                upstream.config().setAutoRead(false);
            }
        }
    }

    private void onResponseHead(HttpResponse response) {
        ProxyExchange ex = exchange;
        cancelHeaderTimeout();
        int status = response.status().code();
        int framing = ProxyHeaders.prepareResponse(response, ex.request());
        upstreamKeepAlive = (framing & ProxyHeaders.UPSTREAM_REUSABLE) != 0;
        ex.upstreamResponseStarts(status, (framing & ProxyHeaders.CLIENT_MUST_CLOSE) != 0);
        listener.onResponse(ex, target, status);
        ex.prepareClientHead(response);
        heldHead = response;
        clientNeedsFlush = true;
    }

    private void writeHeldHead() {
        HttpResponse head = heldHead;
        if (head != null) {
            heldHead = null;
            client.write(head, client.voidPromise());
        }
    }

    /**
     * Runs only while the connection is attached: whatever ends an exchange mid-response (a
     * listener's local answer, a broken connection, the client leaving) detaches it first, and the
     * decoder hands a head and its content over as separate messages.
     */
    private void onResponseComplete() {
        ProxyExchange ex = exchange;
        Channel ch = upstream;
        upstream = null;
        backend.detach();
        // Detached, this connection's writability no longer reaches the client side: a pause it
        // caused (an upstream that answered before reading the whole body) ends here.
        frontend.resumeReading(FrontendHandler.PAUSE_UPSTREAM);
        if (upstreamKeepAlive && ex.requestComplete()) {
            ch.config().setAutoRead(true);
            frontend.pool().release(target, ch, options.idleTimeoutMillis());
        } else {
            ch.close();
        }
        flushToClient();
        end(ex.status());
        ex.finish();
    }

    void flushToClient() {
        writeHeldHead();
        if (clientNeedsFlush) {
            clientNeedsFlush = false;
            LoopFlushes.flushClient(flushes, client);
        }
    }

    void onUpstreamWritabilityChanged(boolean writable) {
        if (writable) {
            frontend.resumeReading(FrontendHandler.PAUSE_UPSTREAM);
        } else {
            frontend.pauseReading(FrontendHandler.PAUSE_UPSTREAM);
        }
    }

    void onClientWritabilityChanged(boolean writable) {
        if (upstream != null) {
            upstream.config().setAutoRead(writable);
        }
    }

    // ---- failures ----

    /** No response head arrived in time: 504. */
    void onResponseTimeout() {
        ProxyExchange ex = exchange;
        if (ex.finished() || ex.responseStarted()) {
            return;
        }
        if (retryInstead(504, true)) {
            return;
        }
        end(-504);
        ex.fail(HttpResponseStatus.GATEWAY_TIMEOUT, noResponseWithin(target));
    }

    private String noResponseWithin(UpstreamTarget upstream) {
        return "no response from " + upstream + " within " + options.responseHeaderTimeoutMillis() + "ms";
    }

    /** The upstream connection closed or failed while this attempt used it. */
    void onUpstreamClosed(Throwable cause) {
        ProxyExchange ex = exchange;
        upstream = null;
        if (ex.finished()) {
            return;
        }
        if (!ex.responseStarted()) {
            notReached(cause, true);
            return;
        }
        // Part of the response is out: the only honest signal left is to close the connection.
        end(-1);
        ex.abortClient();
    }

    /**
     * The attempt failed before a response head. {@code sent}: the request went out on a connection,
     * so the upstream may have acted on it; it is then resent only when that is safe (RFC 9112
     * section 9.3.1), as nginx and Go's HTTP client do.
     */
    private void notReached(Throwable cause, boolean sent) {
        ProxyExchange ex = exchange;
        UpstreamTarget failed = target;
        ForwardListener owner = listener;
        boolean stale = sent && reusedConnection;
        reusedConnection = false;
        drop();
        boolean resendable = (!bodyForwarded || ex.replayable()) && (!sent || safeToResend(ex.request()));
        if (stale && resendable && !resentOnFreshConnection) {
            // A pooled connection the upstream closed while it sat idle (its keep-alive timeout
            // raced this request): the endpoint is fine, so, as nginx, Envoy and Go's HTTP client
            // do, send the request once more on a new connection to it. The service sees one
            // attempt: no retry of its own is used and no failure is counted against the endpoint.
            resentOnFreshConnection = true;
            connect(true);
            return;
        }
        ex.routeAgain();
        open = false;
        if (resendable && owner.onNotReached(ex, failed, cause)) {
            return;
        }
        owner.onEnd(ex, failed, -502);
        ex.fail(HttpResponseStatus.BAD_GATEWAY, describe(cause, failed));
    }

    /**
     * Whether the request may run twice: its method is idempotent (RFC 9110 section 9.2.2), or it
     * carries an {@code Idempotency-Key} the upstream can drop a duplicate by.
     */
    private static boolean safeToResend(HttpRequest request) {
        return switch (request.method().name()) {
            case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE" -> true;
            default -> request.headers().contains("Idempotency-Key") || request.headers().contains("X-Idempotency-Key");
        };
    }

    /**
     * Offers a response head ({@code timedOut}: the 504 of a header timeout) to the listener's retry
     * policy before the client sees anything. When it asks for a retry, the attempt is dropped and
     * treated as not reached.
     */
    private boolean retryInstead(int code, boolean timedOut) {
        ProxyExchange ex = exchange;
        if (!ex.replayable() || !(timedOut ? listener.retryTimeout(ex, target)
                : listener.retryResponse(ex, target, code))) {
            return false;
        }
        UpstreamTarget failed = target;
        ForwardListener owner = listener;
        drop();
        ex.routeAgain();
        open = false;
        if (owner.onNotReached(ex, failed, new RetriedResponse(code))) {
            return true;
        }
        owner.onEnd(ex, failed, -code);
        ex.fail(HttpResponseStatus.valueOf(code),
                timedOut ? noResponseWithin(failed) : "upstream " + failed + " answered " + code);
        return true;
    }

    private static String describe(Throwable cause, UpstreamTarget target) {
        if (cause == null) {
            return "connection to " + target + " closed before a response";
        }
        String msg = cause.getMessage();
        if (cause instanceof ConnectTimeoutException) {
            return "connect to " + target + " timed out";
        }
        if (cause instanceof UnknownHostException) {
            return "cannot resolve the host of " + target;
        }
        if (cause instanceof ConnectException || (msg != null && msg.contains("refused"))) {
            return "connection refused by " + target;
        }
        return "upstream " + target + " failed: " + (msg == null ? cause.getClass().getSimpleName() : msg);
    }

    // ---- the end ----

    /** Tells the listener once that the current attempt ended. */
    void end(int outcome) {
        if (open) {
            open = false;
            listener.onEnd(exchange, target, outcome);
        }
    }

    /** Lets go of the connection (closed: it may be mid-request) and of the client pauses it caused. */
    void drop() {
        cancelHeaderTimeout();
        Channel ch = upstream;
        upstream = null;
        if (ch != null) {
            backend.detach();
            ch.close();
        }
        if (connecting) {
            connecting = false;
            frontend.resumeReading(FrontendHandler.PAUSE_CONNECTING);
        }
        frontend.resumeReading(FrontendHandler.PAUSE_UPSTREAM);
    }

    /**
     * Called by the exchange once it ended (its connection was dropped or given back already): the
     * listener hears {@code outcome} if it has not heard an end yet, and the next exchange on this
     * connection starts from nothing.
     */
    void exchangeDone(int outcome) {
        end(outcome);
        exchange = null;
        target = null;
        listener = ForwardListener.NONE;
        options = ForwardOptions.DEFAULTS;
        backend = null;
        reusedConnection = false;
        resentOnFreshConnection = false;
        bodyForwarded = false;
        lastSent = false;
        upstreamNeedsFlush = false;
        skipInformational = false;
        heldHead = null;
        upstreamKeepAlive = false;
        clientNeedsFlush = false;
    }
}
