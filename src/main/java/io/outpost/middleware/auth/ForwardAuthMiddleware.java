package io.outpost.middleware.auth;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.outpost.config.MiddlewareConfig;
import io.outpost.middleware.Exchange;
import io.outpost.middleware.Middleware;
import io.outpost.middleware.Next;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Asks an external service whether a request may pass, as Traefik's forwardAuth does: a GET to
 * {@code address} with the request's headers (all, or only {@code authRequestHeaders}) and
 * {@code X-Forwarded-Method}, {@code -Proto}, {@code -Host}, {@code -Uri} and {@code -For}. A 2xx answer
 * lets the request through, with the {@code authResponseHeaders} copied onto it (replacing what the
 * client sent under those names); any other answer goes back to the client as it is (status, headers,
 * body). The call is asynchronous on the JDK client. Unlike Traefik, which answers 500 when the auth
 * server cannot be reached, Outpost answers 503: the gateway is healthy, a dependency is not.
 */
public final class ForwardAuthMiddleware implements Middleware {

    static final int MAX_BODY = 64 * 1024;
    /** Hop-by-hop headers, and the ones the JDK client sets itself and refuses. */
    private static final Set<String> SKIPPED = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length",
            "expect", "http2-settings");
    private static final Set<String> FORWARDED = Set.of("x-forwarded-method", "x-forwarded-proto",
            "x-forwarded-host", "x-forwarded-uri", "x-forwarded-for", "x-forwarded-port");

    private final URI address;
    private final HttpClient client;
    private final java.time.Duration timeout;
    private final String[] responseHeaders;
    private final Set<String> requestHeaders;
    private final boolean trustForwardHeader;
    private final String unavailable = Rejections.body(HttpResponseStatus.SERVICE_UNAVAILABLE, "authorization service unavailable");

    public ForwardAuthMiddleware(String name, MiddlewareConfig.ForwardAuth config) {
        this(name, config, AuthHttp.client());
    }

    ForwardAuthMiddleware(String name, MiddlewareConfig.ForwardAuth config, HttpClient client) {
        try {
            address = URI.create(config.address());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("middleware " + name + ": address: \"" + config.address() + "\" is not a URL", e);
        }
        this.client = client;
        this.timeout = config.timeout();
        this.responseHeaders = config.authResponseHeaders().toArray(new String[0]);
        this.requestHeaders = config.authRequestHeaders().stream().map(h -> h.toLowerCase(Locale.ROOT))
                .collect(java.util.stream.Collectors.toUnmodifiableSet());
        this.trustForwardHeader = config.trustForwardHeader();
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        HttpRequest request;
        try {
            request = authRequest(exchange);
        } catch (IllegalArgumentException e) {
            // A header value the JDK client refuses: the client sent something no auth server should see.
            exchange.respond(HttpResponseStatus.BAD_REQUEST, null, Rejections.JSON,
                    Rejections.body(HttpResponseStatus.BAD_REQUEST, "request headers cannot be forwarded for authorization"));
            return;
        }
        client.sendAsync(request, BoundedBody.handler(MAX_BODY)).whenComplete((response, error) -> {
            if (error != null) {
                exchange.respond(HttpResponseStatus.SERVICE_UNAVAILABLE, null, Rejections.JSON, unavailable);
            } else if (response.statusCode() >= 200 && response.statusCode() < 300) {
                exchange.eventLoop().execute(() -> pass(exchange, next, response));
            } else {
                relay(exchange, response);
            }
        });
    }

    private HttpRequest authRequest(Exchange exchange) {
        HttpRequest.Builder b = HttpRequest.newBuilder(address).timeout(timeout).GET();
        HttpHeaders headers = exchange.request().headers();
        for (Map.Entry<String, String> h : headers) {
            String lower = h.getKey().toLowerCase(Locale.ROOT);
            if (SKIPPED.contains(lower) || FORWARDED.contains(lower)
                    || !requestHeaders.isEmpty() && !requestHeaders.contains(lower)) {
                continue;
            }
            b.header(h.getKey(), h.getValue());
        }
        forwarded(b, headers, "X-Forwarded-Method", exchange.request().method().name());
        forwarded(b, headers, "X-Forwarded-Proto", exchange.secure() ? "https" : "http");
        String host = headers.get("Host");
        if (host != null || trustForwardHeader && headers.contains("X-Forwarded-Host")) {
            forwarded(b, headers, "X-Forwarded-Host", host);
        }
        forwarded(b, headers, "X-Forwarded-Uri", exchange.request().uri());
        String clientIp = exchange.clientIp();
        String prior = headers.get("X-Forwarded-For");
        b.header("X-Forwarded-For", trustForwardHeader && prior != null ? prior + ", " + clientIp : clientIp);
        if (trustForwardHeader && headers.contains("X-Forwarded-Port")) {
            b.header("X-Forwarded-Port", headers.get("X-Forwarded-Port"));
        }
        return b.build();
    }

    private void forwarded(HttpRequest.Builder b, HttpHeaders headers, String name, String own) {
        String value = trustForwardHeader && headers.contains(name) ? headers.get(name) : own;
        if (value != null) {
            b.header(name, value);
        }
    }

    private void pass(Exchange exchange, Next next, HttpResponse<byte[]> response) {
        HttpHeaders headers = exchange.request().headers();
        for (String name : responseHeaders) {
            headers.remove(name);
            List<String> values = response.headers().allValues(name);
            if (!values.isEmpty()) {
                headers.add(name, values);
            }
        }
        next.proceed(exchange);
    }

    private static void relay(Exchange exchange, HttpResponse<byte[]> response) {
        HttpHeaders out = new DefaultHttpHeaders();
        String contentType = null;
        for (Map.Entry<String, List<String>> h : response.headers().map().entrySet()) {
            String lower = h.getKey().toLowerCase(Locale.ROOT);
            if (lower.equals("content-type")) {
                contentType = h.getValue().get(0);
            } else if (!SKIPPED.contains(lower) && !lower.startsWith(":")) {
                out.add(h.getKey(), h.getValue());
            }
        }
        HttpResponseStatus status = HttpResponseStatus.valueOf(response.statusCode());
        exchange.respond(status, out, contentType, new String(response.body(), StandardCharsets.UTF_8));
    }
}
