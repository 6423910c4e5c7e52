package io.outpost.middleware;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.outpost.router.RequestView;

/**
 * One request on its way through the gateway, as middlewares and services see it. The request
 * head is mutable until the exchange is forwarded; the body streams behind it.
 *
 * <p>{@link #path()}, {@link #query()} and {@link #host()} always describe the request as the
 * client sent it, which is what routing matched; middlewares that rewrite the target change
 * {@code request().uri()}, and each later middleware reads that.
 */
public interface Exchange extends RequestView {

    /** The request head: method, target and headers. Middlewares may change all three. */
    HttpRequest request();

    /** True when the client reached the gateway over TLS. */
    boolean secure();

    /** The request id: the client's {@code X-Request-Id}, or one the gateway generated. */
    String requestId();

    /** The name of the router that matched. */
    String routerName();

    /** The event loop that owns this exchange; every callback runs on it. */
    EventLoop eventLoop();

    /** A value a middleware left for later ones (for example validated JWT claims), or null. */
    Object attribute(String key);

    void attribute(String key, Object value);

    /**
     * Answers the request here instead of forwarding it. The request body, if any, is drained and
     * dropped. Safe to call from any thread.
     */
    void respond(HttpResponseStatus status, HttpHeaders headers, String contentType, CharSequence body);

    default void respond(HttpResponseStatus status, String body) {
        respond(status, null, "text/plain; charset=utf-8", body);
    }

    /** Runs {@code listener} on the response head (upstream's or a local one) before it is sent. */
    void onResponse(ResponseListener listener);

    /**
     * Runs {@code listener} once the exchange has ended, however it ended: a full response, a local
     * answer, or a connection that broke. Middlewares that hold a resource per request release it here.
     */
    void onComplete(CompletionListener listener);

    /**
     * Caps the request body. A larger declared length answers 413 at once; a streamed body that
     * grows past the cap is cut off with 413 if no response has started, else the connection is
     * closed.
     */
    void limitRequestBody(long maxBytes);

    /**
     * Reads the whole request body (up to {@code maxBytes}, else 413) before it is forwarded, so
     * that a slow client does not hold an upstream connection and a failed attempt can be retried.
     */
    void bufferRequestBody(long maxBytes);

    /** Called once when an exchange ends. {@code status} is what the client got, 499 if it left first. */
    @FunctionalInterface
    interface CompletionListener {
        void onComplete(Exchange exchange, int status, long durationNanos);
    }

    /** Called with each response head just before it is written to the client. */
    @FunctionalInterface
    interface ResponseListener {
        void onResponse(Exchange exchange, HttpResponse response);
    }
}
