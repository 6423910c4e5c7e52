package io.outpost.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.outpost.middleware.Exchange;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One request from head to the last byte of its response. It streams the request body to the
 * upstream and the response body back, pausing the side that reads whenever the side that writes
 * is not writable. Every method runs on the client connection's event loop; calls from other
 * threads hop onto it.
 */
public final class ProxyExchange implements Exchange, AccessLog.Entry {

    private enum State { ROUTING, BUFFERING, AGGREGATING, CONNECTING, SENDING, DONE }

    private final FrontendHandler frontend;
    private final ChannelHandlerContext client;
    private final HttpRequest request;
    private final RequestInfo info;
    private final long startNanos;

    private String requestId;
    private String routerName = "";
    private String serviceName = "";
    private ExchangeHooks hooks;
    /** The first completion listener, held here: most exchanges have exactly one (a service's). */
    private CompletionListener firstCompletion;

    private State state = State.ROUTING;
    private long bodyLimit = Long.MAX_VALUE;
    private long bufferLimit = -1;
    private long bodyBytes;
    private boolean requestComplete;
    private boolean bodyForwarded;
    private HeldBody held;
    /** True from {@link #forward} until the attempt's listener heard its end. */
    private boolean attemptOpen;
    private boolean lastSent;

    private BodyHandler bodyHandler;

    private UpstreamTarget target;
    private ForwardListener forwardListener = ForwardListener.NONE;
    private ForwardOptions options = ForwardOptions.DEFAULTS;
    private Channel upstream;
    private BackendHandler backend;
    /** The current connection came from the pool and nothing of a response has arrived on it yet. */
    private boolean reusedConnection;
    /** A request sent on a pooled connection that the upstream had closed was resent once already. */
    private boolean resentOnFreshConnection;
    private boolean skipInformational;
    /** A response head not yet written: if its last content follows in the same read, both go out as one message. */
    private HttpResponse heldHead;
    private boolean responseStarted;
    private boolean upstreamKeepAlive;
    private boolean clientKeepAlive;
    private boolean clientNeedsFlush;
    private boolean upstreamNeedsFlush;
    private int status;
    private long responseBytes;

    ProxyExchange(FrontendHandler frontend, ChannelHandlerContext client, HttpRequest request, RequestInfo info,
                  long startNanos) {
        this.frontend = frontend;
        this.client = client;
        this.request = request;
        this.info = info;
        this.startNanos = startNanos;
        this.clientKeepAlive = ProxyHeaders.keepAlive(request);
    }

    // ---- Exchange: what middlewares see ----

    @Override public HttpRequest request() { return request; }
    @Override public boolean secure() { return frontend.secure(); }
    @Override public String requestId() { return requestId; }
    @Override public String routerName() { return routerName; }
    @Override public EventLoop eventLoop() { return client.channel().eventLoop(); }
    @Override public String method() { return request.method().name(); }
    @Override public String host() { return info.host(); }
    @Override public String path() { return info.path(); }
    @Override public String query() { return info.query(); }
    @Override public String header(String name) { return request.headers().get(name); }
    @Override public List<String> headers(String name) { return request.headers().getAll(name); }
    @Override public String clientIp() { return frontend.clientIp(); }

    @Override public String serviceName() { return serviceName; }
    @Override public int status() { return status; }
    @Override public long responseBytes() { return responseBytes; }
    @Override public long requestBytes() { return bodyBytes; }
    @Override public String uri() { return request.uri(); }
    @Override public String upstream() { return target == null ? "" : target.key(); }
    @Override public String entryPoint() { return frontend.entryPoint(); }
    public long startNanos() { return startNanos; }
    public UpstreamTarget target() { return target; }

    /** True once the exchange has ended: forwarding it again does nothing. */
    public boolean finished() { return state == State.DONE; }

    /**
     * True when the whole request could be sent again: it is complete and has no body, or its body
     * was buffered (the {@code buffering} middleware) and is still held.
     */
    public boolean replayable() {
        return requestComplete && (bodyBytes == 0 || bufferLimit >= 0);
    }

    /**
     * Hands {@code tee} a copy of every request body chunk, those already received included, then
     * its end. Costs nothing for exchanges without a tee.
     */
    public void teeRequestBody(BodyTee tee) {
        if (state == State.DONE) {
            tee.onEnd(false);
            return;
        }
        held().tee(tee, requestComplete);
    }

    private ExchangeHooks hooks() {
        if (hooks == null) {
            hooks = new ExchangeHooks();
        }
        return hooks;
    }

    @Override
    public Object attribute(String key) {
        return hooks == null ? null : hooks.attribute(key);
    }

    @Override
    public void attribute(String key, Object value) {
        hooks().attribute(key, value);
    }

    @Override
    public void onResponse(ResponseListener listener) {
        hooks().onResponse(listener);
    }

    @Override
    public void onComplete(CompletionListener listener) {
        if (firstCompletion == null) {
            firstCompletion = listener;
        } else {
            hooks().onComplete(listener);
        }
    }

    @Override
    public void limitRequestBody(long maxBytes) {
        bodyLimit = Math.min(bodyLimit, maxBytes);
    }

    @Override
    public void bufferRequestBody(long maxBytes) {
        bufferLimit = maxBytes;
        limitRequestBody(maxBytes);
    }

    /** Receives a request body read in full by {@link #readBody}. */
    @FunctionalInterface
    public interface BodyHandler {
        /** Runs on the exchange's event loop; {@code body} is a copy the handler may keep. */
        void onBody(ProxyExchange exchange, byte[] body);
    }

    /**
     * Reads the whole request body, at most {@code maxBytes} (else 413), and hands it to
     * {@code handler} instead of forwarding: for services that must hold a write (replicated
     * services journal it) and answer with {@link #respond(int, HttpHeaders, byte[])}.
     */
    public void readBody(long maxBytes, BodyHandler handler) {
        if (!eventLoop().inEventLoop()) {
            eventLoop().execute(() -> readBody(maxBytes, handler));
            return;
        }
        if (state == State.DONE) {
            return;
        }
        frontend.resumeReading(FrontendHandler.PAUSE_ROUTING);
        limitRequestBody(maxBytes);
        if (bodyTooLarge()) {
            fail(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "request body is larger than " + bodyLimit + " bytes");
            return;
        }
        state = State.AGGREGATING;
        bodyHandler = handler;
        sendContinueIfExpected();
        if (requestComplete) {
            deliverBody();
        }
    }

    private void deliverBody() {
        byte[] body = held == null ? new byte[0] : held.drain();
        state = State.ROUTING;
        bodyHandler.onBody(this, body);
    }

    /**
     * Answers with a complete response from bytes (for example a stored or aggregated one).
     * Hop-by-hop headers are dropped and the length is set; may be called from any thread.
     */
    public void respond(int status, HttpHeaders headers, byte[] body) {
        if (!eventLoop().inEventLoop()) {
            eventLoop().execute(() -> respond(status, headers, body));
            return;
        }
        if (state == State.DONE) {
            return;
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(status), io.netty.buffer.Unpooled.wrappedBuffer(body));
        if (headers != null) {
            response.headers().set(headers);
        }
        ProxyHeaders.removeHopByHop(response.headers());
        response.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        sendLocal(response);
    }

    void route(String routerName, String serviceName, String requestId) {
        this.routerName = routerName;
        this.serviceName = serviceName;
        this.requestId = requestId;
    }

    /** Whether the request announces a body (a length above zero, or chunked framing). */
    private boolean hasBody() {
        HttpHeaders h = request.headers();
        return h.get(HttpHeaderNames.TRANSFER_ENCODING) != null || HttpUtil.getContentLength(request, 0L) > 0;
    }

    /**
     * True when the body is already over the limit set by middlewares: as declared, or as received
     * so far (a body that arrived while a middleware was deciding, before the limit was set).
     */
    boolean bodyTooLarge() {
        long declared = HttpUtil.getContentLength(request, -1L);
        return declared > bodyLimit || bodyBytes > bodyLimit;
    }

    // ---- local answers ----

    @Override
    public void respond(HttpResponseStatus status, HttpHeaders headers, String contentType, CharSequence body) {
        if (!eventLoop().inEventLoop()) {
            String copy = body == null ? null : body.toString();
            eventLoop().execute(() -> respond(status, headers, contentType, copy));
            return;
        }
        if (state == State.DONE) {
            return;
        }
        sendLocal(LocalResponses.text(client.alloc(), status, headers, contentType, body));
    }

    /** Answers with a JSON error body, for failures of the gateway itself. */
    public void fail(HttpResponseStatus status, String reason) {
        if (state == State.DONE) {
            return;
        }
        sendLocal(LocalResponses.error(client.alloc(), status, reason));
    }

    private void sendLocal(FullHttpResponse response) {
        if (responseStarted) {
            // Too late for a status: the client has part of another response.
            ReferenceCountUtil.release(response);
            abortClient();
            return;
        }
        dropUpstream();
        if (!requestComplete && hasBody()) {
            // Rather than read a body nobody wants, end the connection after this answer.
            clientKeepAlive = false;
        }
        if (HttpMethod.HEAD.equals(request.method())) {
            response = LocalResponses.withoutContent(response);
        }
        endAttempt(-response.status().code());
        responseStarted = true;
        status = response.status().code();
        responseBytes = response.content().readableBytes();
        prepareClientHead(response);
        client.writeAndFlush(response, client.voidPromise());
        finish();
    }

    // ---- forwarding ----

    /**
     * Sends the request to {@code target}. May be called again from
     * {@link ForwardListener#onNotReached} to retry elsewhere.
     */
    public void forward(UpstreamTarget target, ForwardListener listener, ForwardOptions options) {
        if (!eventLoop().inEventLoop()) {
            eventLoop().execute(() -> forward(target, listener, options));
            return;
        }
        if (state == State.DONE) {
            return;
        }
        frontend.resumeReading(FrontendHandler.PAUSE_ROUTING);
        this.target = target;
        this.forwardListener = listener;
        this.options = options;
        this.attemptOpen = true;
        if (bodyTooLarge()) {
            fail(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "request body is larger than " + bodyLimit + " bytes");
            return;
        }
        if (bufferLimit >= 0 && !requestComplete) {
            state = State.BUFFERING;
            sendContinueIfExpected();
            return;
        }
        connect(false);
    }

    /** Sends the request on a pooled connection to {@link #target}, or a new one ({@code fresh}: always new). */
    private void connect(boolean fresh) {
        sendContinueIfExpected();
        UpstreamPool pool = frontend.pool();
        Channel ch = fresh ? null : pool.pollIdle(target);
        if (ch != null) {
            reusedConnection = true;
            // Called while the client's read is being handled: its read-complete flushes.
            attach(ch, !frontend.reading());
            return;
        }
        reusedConnection = false;
        ForwardListener owner = forwardListener;
        if (!owner.beforeConnect(this, target)) {
            endAttempt(-503);
            HttpHeaders retryAfter = new io.netty.handler.codec.http.DefaultHttpHeaders().set("Retry-After", "1");
            respond(HttpResponseStatus.SERVICE_UNAVAILABLE, retryAfter, "application/json",
                    "{\"status\":503,\"error\":\"Service Unavailable\",\"reason\":\"service " + serviceName
                            + " is at its limit of upstream connections or pending requests\"}\n");
            return;
        }
        state = State.CONNECTING;
        frontend.pauseReading(FrontendHandler.PAUSE_CONNECTING);
        UpstreamTarget attempt = target;
        pool.connect(target, options.connectTimeoutMillis()).addListener((ChannelFuture f) -> {
            owner.afterConnect(this, attempt);
            // A failed attempt's channel is closed already, so this also releases a refused slot.
            f.channel().closeFuture().addListener(closed -> owner.connectionClosed(attempt));
            if (state == State.DONE || attempt != target) {
                if (f.isSuccess()) {
                    f.channel().close();
                }
                return;
            }
            frontend.resumeReading(FrontendHandler.PAUSE_CONNECTING);
            if (f.isSuccess()) {
                attach(f.channel(), true);
            } else {
                notReached(f.cause(), false);
            }
        });
    }

    private void sendContinueIfExpected() {
        if (request.headers().get(HttpHeaderNames.EXPECT) != null && HttpUtil.is100ContinueExpected(request)) {
            request.headers().remove(HttpHeaderNames.EXPECT);
            if (!requestComplete) {
                client.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE),
                        client.voidPromise());
            }
        }
    }

    private void attach(Channel ch, boolean flushNow) {
        upstream = ch;
        backend = BackendHandler.of(ch);
        state = State.SENDING;
        backend.attach(this);
        if (!options.passHostHeader()) {
            request.headers().set(HttpHeaderNames.HOST, target.authority());
        }
        if (held == null && !hasBody()) {
            // Nothing will follow the head: one message, one buffer (the empty last chunk is skipped).
            ch.write(new io.netty.handler.codec.http.DefaultFullHttpRequest(request.protocolVersion(),
                    request.method(), request.uri(), io.netty.buffer.Unpooled.EMPTY_BUFFER, request.headers(),
                    io.netty.handler.codec.http.EmptyHttpHeaders.INSTANCE), ch.voidPromise());
            lastSent = true;
        } else {
            ch.write(request, ch.voidPromise());
            lastSent = false;
        }
        if (held != null) {
            // A buffered body stays held so that a retry can send it again.
            held.writeAll(bufferLimit >= 0, c -> writeBody(ch, c));
        }
        if (requestComplete && !lastSent) {
            // A replayed request whose last chunk went out with an earlier attempt.
            writeBody(ch, LastHttpContent.EMPTY_LAST_CONTENT);
        }
        if (flushNow) {
            ch.flush();
        } else {
            upstreamNeedsFlush = true;
        }
        if (requestComplete) {
            armHeaderTimeout();
        }
        if (!ch.isWritable()) {
            frontend.pauseReading(FrontendHandler.PAUSE_UPSTREAM);
        }
    }

    private void writeBody(Channel ch, HttpContent c) {
        bodyForwarded |= c.content().isReadable();
        lastSent |= c instanceof LastHttpContent;
        ch.write(c, ch.voidPromise());
    }

    /** Tells the listener once that the current attempt ended. */
    private void endAttempt(int outcome) {
        if (attemptOpen) {
            attemptOpen = false;
            forwardListener.onEnd(this, target, outcome);
        }
    }

    private void armHeaderTimeout() {
        if (upstream != null) {
            backend.expectResponseWithin(
                    TimeUnit.MILLISECONDS.toNanos(options.responseHeaderTimeoutMillis()));
        }
    }

    /** No response head arrived in time: 504. */
    void onResponseTimeout() {
        if (state == State.DONE || responseStarted) {
            return;
        }
        if (retryInstead(504)) {
            return;
        }
        endAttempt(-504);
        fail(HttpResponseStatus.GATEWAY_TIMEOUT,
                "no response from " + target + " within " + options.responseHeaderTimeoutMillis() + "ms");
    }

    /**
     * The attempt failed before a response head. {@code sent}: the request went out on a connection,
     * so the upstream may have acted on it; it is then resent only when that is safe (RFC 9112
     * section 9.3.1), as nginx and Go's HTTP client do.
     */
    private void notReached(Throwable cause, boolean sent) {
        UpstreamTarget failed = target;
        ForwardListener listener = forwardListener;
        boolean stale = sent && reusedConnection;
        reusedConnection = false;
        dropUpstream();
        state = State.ROUTING;
        boolean resendable = (!bodyForwarded || replayable()) && (!sent || safeToResend());
        if (stale && resendable && !resentOnFreshConnection) {
            // A pooled connection the upstream closed while it sat idle (its keep-alive timeout
            // raced this request): the endpoint is fine, so, as nginx, Envoy and Go's HTTP client
            // do, send the request once more on a new connection to it. The service sees one
            // attempt: no retry of its own is used and no failure is counted against the endpoint.
            resentOnFreshConnection = true;
            connect(true);
            return;
        }
        attemptOpen = false;
        if (resendable && listener.onNotReached(this, failed, cause)) {
            return;
        }
        listener.onEnd(this, failed, -502);
        fail(HttpResponseStatus.BAD_GATEWAY, describe(cause, failed));
    }

    /**
     * Whether the request may run twice: its method is idempotent (RFC 9110 section 9.2.2), or it
     * carries an {@code Idempotency-Key} the upstream can drop a duplicate by.
     */
    private boolean safeToResend() {
        return switch (request.method().name()) {
            case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE" -> true;
            default -> request.headers().contains("Idempotency-Key") || request.headers().contains("X-Idempotency-Key");
        };
    }

    /**
     * Offers a response head (or a 504 timeout) to the listener's retry policy before the client
     * sees anything. When it asks for a retry, the attempt is dropped and treated as not reached.
     */
    private boolean retryInstead(int code) {
        if (!replayable() || !forwardListener.retryResponse(this, target, code)) {
            return false;
        }
        UpstreamTarget failed = target;
        ForwardListener listener = forwardListener;
        dropUpstream();
        state = State.ROUTING;
        attemptOpen = false;
        if (listener.onNotReached(this, failed, new RetriedResponse(code))) {
            return true;
        }
        listener.onEnd(this, failed, -code);
        fail(HttpResponseStatus.valueOf(code), "upstream " + failed + " answered " + code);
        return true;
    }

    private static String describe(Throwable cause, UpstreamTarget target) {
        if (cause == null) {
            return "connection to " + target + " closed before a response";
        }
        String msg = cause.getMessage();
        if (cause instanceof io.netty.channel.ConnectTimeoutException) {
            return "connect to " + target + " timed out";
        }
        if (cause instanceof java.net.UnknownHostException) {
            return "cannot resolve the host of " + target;
        }
        if (cause instanceof java.net.ConnectException || (msg != null && msg.contains("refused"))) {
            return "connection refused by " + target;
        }
        return "upstream " + target + " failed: " + (msg == null ? cause.getClass().getSimpleName() : msg);
    }

    // ---- request body from the client ----

    void onRequestContent(HttpContent content) {
        bodyBytes += content.content().readableBytes();
        boolean last = content instanceof LastHttpContent;
        if (last) {
            requestComplete = true;
        }
        if (held != null) {
            held.teeing(content, last);
        }
        if (state == State.DONE) {
            content.release();
            return;
        }
        if (bodyBytes > bodyLimit) {
            content.release();
            fail(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "request body is larger than " + bodyLimit + " bytes");
            return;
        }
        if (state == State.SENDING) {
            if (last && lastSent && !content.content().isReadable()) {
                content.release(); // the head went out as a complete bodiless request
                flushToUpstream();
                armHeaderTimeout();
                return;
            }
            if (bufferLimit >= 0) {
                held().add(content);
                content = content.retainedDuplicate();
            }
            writeBody(upstream, content);
            upstreamNeedsFlush = true;
            if (last) {
                flushToUpstream();
                armHeaderTimeout();
            } else if (!upstream.isWritable()) {
                frontend.pauseReading(FrontendHandler.PAUSE_UPSTREAM);
            }
            return;
        }
        held().add(content);
        if (state == State.BUFFERING && last) {
            connect(false);
        } else if (state == State.AGGREGATING && last) {
            deliverBody();
        } else if (state == State.ROUTING && !last) {
            // Nobody has decided yet where this body goes (a middleware waits for an answer, say):
            // hold what came, but read no more until someone does, or it would pile up here.
            frontend.pauseReading(FrontendHandler.PAUSE_ROUTING);
        }
    }

    private HeldBody held() {
        if (held == null) {
            held = new HeldBody();
        }
        return held;
    }

    void flushToUpstream() {
        if (upstreamNeedsFlush && upstream != null) {
            upstreamNeedsFlush = false;
            upstream.flush();
        }
    }

    // ---- response from the upstream ----

    void onUpstreamMessage(Object msg) {
        if (state == State.DONE) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse response) {
            if (!response.decoderResult().isSuccess()) {
                ReferenceCountUtil.release(msg);
                // Detach before anything else: the decoder closes this connection, and its
                // channelInactive, which runs later, must not reach a retry on another connection.
                reusedConnection = false;
                dropUpstream();
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
            if (retryInstead(code)) {
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
            responseBytes += content.content().readableBytes();
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
        cancelHeaderTimeout();
        responseStarted = true;
        status = response.status().code();
        int framing = ProxyHeaders.prepareResponse(response, request);
        upstreamKeepAlive = (framing & ProxyHeaders.UPSTREAM_REUSABLE) != 0;
        if ((framing & ProxyHeaders.CLIENT_MUST_CLOSE) != 0) {
            clientKeepAlive = false;
        }
        forwardListener.onResponse(this, target, status);
        if (!requestComplete) {
            // The upstream answered before the whole request arrived: this connection pair ends here.
            clientKeepAlive = false;
        }
        prepareClientHead(response);
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

    private void prepareClientHead(HttpResponse response) {
        if (hooks != null) {
            hooks.fireResponse(this, response);
        }
        if (!clientKeepAlive || frontend.draining()) {
            clientKeepAlive = false;
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (!request.protocolVersion().isKeepAliveDefault()) {
            // An HTTP/1.0 client keeps the connection only when the response says so (RFC 9112
            // section 9.3); without it, it waits for a close that never comes.
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }

    private void onResponseComplete() {
        Channel ch = upstream;
        upstream = null;
        backend.detach();
        // Detached, this connection's writability no longer reaches the client side: a pause it
        // caused (an upstream that answered before reading the whole body) ends here.
        frontend.resumeReading(FrontendHandler.PAUSE_UPSTREAM);
        if (upstreamKeepAlive && requestComplete) {
            ch.config().setAutoRead(true);
            frontend.pool().release(target, ch);
        } else {
            ch.close();
        }
        flushToClient();
        endAttempt(status);
        finish();
    }

    void flushToClient() {
        writeHeldHead();
        if (clientNeedsFlush) {
            clientNeedsFlush = false;
            client.flush();
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

    /** The upstream connection closed or failed while this exchange used it. */
    void onUpstreamClosed(Throwable cause) {
        upstream = null;
        if (state == State.DONE) {
            return;
        }
        cancelHeaderTimeout();
        if (!responseStarted) {
            notReached(cause, true);
            return;
        }
        // Part of the response is out: the only honest signal left is to close the connection.
        endAttempt(-1);
        abortClient();
    }

    /** The client went away: release everything this exchange holds. */
    void onClientClosed() {
        if (state == State.DONE) {
            return;
        }
        if (!responseStarted) {
            status = 499;
        }
        endAttempt(-499);
        dropUpstream();
        finish();
    }

    private void abortClient() {
        clientKeepAlive = false;
        dropUpstream();
        finish();
        client.close();
    }

    private void dropUpstream() {
        cancelHeaderTimeout();
        Channel ch = upstream;
        upstream = null;
        if (ch != null) {
            backend.detach();
            ch.close();
        }
        if (state == State.CONNECTING) {
            frontend.resumeReading(FrontendHandler.PAUSE_CONNECTING);
        }
        frontend.resumeReading(FrontendHandler.PAUSE_UPSTREAM);
    }

    private void cancelHeaderTimeout() {
        if (upstream != null) {
            backend.responseArrived();
        }
    }

    private void finish() {
        if (state == State.DONE) {
            return;
        }
        state = State.DONE;
        frontend.resumeReading(FrontendHandler.PAUSE_ROUTING);
        endAttempt(-status);
        if (held != null) {
            held.release();
        }
        if (firstCompletion != null) {
            long duration = frontend.nanoTime() - startNanos;
            firstCompletion.onComplete(this, status, duration);
            if (hooks != null) {
                hooks.fireComplete(this, status, duration);
            }
        }
        frontend.exchangeDone(this, clientKeepAlive);
    }

    boolean done() {
        return state == State.DONE;
    }

    boolean requestComplete() {
        return requestComplete;
    }

    /** True when the request announced a body that has not been read in full. */
    boolean bodyUnread() {
        return !requestComplete && hasBody();
    }

    /** True while the rest of the request body is awaited from the client and no response has begun. */
    boolean awaitingRequestBody() {
        return !requestComplete && !responseStarted && state != State.DONE;
    }
}
