package io.outpost.proxy;

import io.netty.buffer.Unpooled;
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

/**
 * One request from head to the last byte of its response, as middlewares and services see it:
 * the request and where it was routed, its body (limited, buffered, read in full or copied to a
 * tee), a local answer or a forward to an upstream, and the listeners told of the response head
 * and of the end. Sending the request upstream and relaying the response is the client
 * connection's {@link UpstreamAttempt}; this class decides when it starts, keeps what the client
 * got, and ends the exchange. Every method runs on the client connection's event loop; calls from
 * other threads hop onto it.
 */
public final class ProxyExchange implements Exchange, AccessLog.Entry {

    /**
     * ROUTING: a middleware or the service decides what to do with the request (again, after an
     * attempt that did not reach its upstream). BUFFERING: forwarded, waiting for the whole body.
     * AGGREGATING: its body is being read in full for {@link #readBody}. FORWARDING: the attempt
     * has it, connecting or sending. DONE: ended; nothing more happens.
     */
    private enum State { ROUTING, BUFFERING, AGGREGATING, FORWARDING, DONE }

    private final FrontendHandler frontend;
    private final UpstreamAttempt attempt;
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
    private HeldBody held;
    private BodyHandler bodyHandler;
    private UpstreamTarget target;

    private boolean responseStarted;
    private boolean clientKeepAlive;
    private int status;
    private long responseBytes;

    ProxyExchange(FrontendHandler frontend, ChannelHandlerContext client, HttpRequest request, RequestInfo info,
                  long startNanos) {
        this.frontend = frontend;
        this.attempt = frontend.attempt();
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
    /** Where the request was last forwarded, or null. */
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

    void route(String routerName, String serviceName, String requestId) {
        this.routerName = routerName;
        this.serviceName = serviceName;
        this.requestId = requestId;
    }

    // ---- reading the body in full ----

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

    // ---- local answers ----

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
                HttpResponseStatus.valueOf(status), Unpooled.wrappedBuffer(body));
        if (headers != null) {
            response.headers().set(headers);
        }
        ProxyHeaders.removeHopByHop(response.headers());
        response.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        sendLocal(response);
    }

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
        attempt.drop();
        if (bodyUnread()) {
            // Rather than read a body nobody wants, end the connection after this answer.
            clientKeepAlive = false;
        }
        if (HttpMethod.HEAD.equals(request.method())) {
            response = LocalResponses.withoutContent(response);
        }
        attempt.end(-response.status().code());
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
        attempt.start(this, target, listener, options);
        if (bodyTooLarge()) {
            fail(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "request body is larger than " + bodyLimit + " bytes");
            return;
        }
        if (bufferLimit >= 0 && !requestComplete) {
            state = State.BUFFERING;
            sendContinueIfExpected();
            return;
        }
        send();
    }

    /** Hands the request to the attempt, which sends it on a pooled connection or a new one. */
    private void send() {
        sendContinueIfExpected();
        state = State.FORWARDING;
        attempt.connect();
    }

    /** The attempt ended before any response reached the client: the service decides again. */
    void routeAgain() {
        state = State.ROUTING;
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
        if (state == State.FORWARDING && attempt.connected()) {
            attempt.sendBody(content, last);
            return;
        }
        held().add(content);
        if (state == State.BUFFERING && last) {
            send();
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

    /** The body chunks held: those that came before a connection was ready, or a whole buffered body; or null. */
    HeldBody heldBody() {
        return held;
    }

    /** True when the body is held in full for a retry (the {@code buffering} middleware). */
    boolean buffersBody() {
        return bufferLimit >= 0;
    }

    /** Holds {@code content} of a buffered body for a retry; returns a duplicate to send. */
    HttpContent keep(HttpContent content) {
        held().add(content);
        return content.retainedDuplicate();
    }

    /** Whether the request announces a body (a length above zero, or chunked framing). */
    boolean hasBody() {
        HttpHeaders h = request.headers();
        return h.get(HttpHeaderNames.TRANSFER_ENCODING) != null || HttpUtil.getContentLength(request, 0L) > 0;
    }

    /**
     * True when the body is already over the limit set by middlewares: as declared, or as received
     * so far (a body that arrived while a middleware was deciding, before the limit was set).
     */
    private boolean bodyTooLarge() {
        long declared = HttpUtil.getContentLength(request, -1L);
        return declared > bodyLimit || bodyBytes > bodyLimit;
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

    // ---- the response the client gets ----

    /** True once the client has (part of) a response: a status can no longer change. */
    boolean responseStarted() {
        return responseStarted;
    }

    /**
     * An upstream's response head with {@code status} is on its way to the client; {@code mustClose}:
     * the client connection ends after it.
     */
    void upstreamResponseStarts(int status, boolean mustClose) {
        responseStarted = true;
        this.status = status;
        if (mustClose || !requestComplete) {
            // An upstream that answered before the whole request arrived ends this connection pair too.
            clientKeepAlive = false;
        }
    }

    void countResponseBytes(int n) {
        responseBytes += n;
    }

    /** Runs the response listeners, and says in the head whether the client connection stays open. */
    void prepareClientHead(HttpResponse response) {
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

    // ---- the end ----

    /** The client went away: release everything this exchange holds. */
    void onClientClosed() {
        if (state == State.DONE) {
            return;
        }
        if (!responseStarted) {
            status = 499;
        }
        attempt.end(-499);
        attempt.drop();
        finish();
    }

    /** Ends the exchange and the client connection: the only signal left once part of a response is out. */
    void abortClient() {
        clientKeepAlive = false;
        attempt.drop();
        finish();
        client.close();
    }

    void finish() {
        if (state == State.DONE) {
            return;
        }
        state = State.DONE;
        frontend.resumeReading(FrontendHandler.PAUSE_ROUTING);
        attempt.exchangeDone(-status);
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
}
