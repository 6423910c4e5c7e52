package io.outpost.middleware.auth;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.outpost.config.MiddlewareConfig;
import io.outpost.middleware.Exchange;
import io.outpost.middleware.Middleware;
import io.outpost.middleware.Next;
import io.outpost.proxy.OutboundClient;
import io.outpost.proxy.Transport;
import io.outpost.proxy.UpstreamTarget;
import io.outpost.tls.UpstreamTls;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
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
 * body). The call goes out on the request's event loop over the gateway's own keep-alive connections,
 * with {@code tls} for an https address. Unlike Traefik, which answers 500 when the auth server cannot
 * be reached, Outpost answers 503: the gateway is healthy, a dependency is not.
 */
public final class ForwardAuthMiddleware implements Middleware {

    static final int MAX_BODY = 64 * 1024;
    /** Hop-by-hop headers, and the ones the gateway writes itself. */
    private static final Set<String> SKIPPED = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length",
            "expect", "http2-settings");
    private static final Set<String> FORWARDED = Set.of("x-forwarded-method", "x-forwarded-proto",
            "x-forwarded-host", "x-forwarded-uri", "x-forwarded-for", "x-forwarded-port");

    /** Every forwardAuth middleware's calls share one client: its pools are per auth server and loop. */
    private static final class Client {
        static final OutboundClient INSTANCE = new OutboundClient(Transport.best(), MAX_BODY);
    }

    private final UpstreamTarget target;
    private final String pathAndQuery;
    private final Duration timeout;
    private final String[] responseHeaders;
    private final Set<String> requestHeaders;
    private final boolean trustForwardHeader;
    private final String unavailable = Rejections.body(HttpResponseStatus.SERVICE_UNAVAILABLE, "authorization service unavailable");

    public ForwardAuthMiddleware(String name, MiddlewareConfig.ForwardAuth config) {
        URI address;
        try {
            address = URI.create(config.address());
            target = UpstreamTarget.of(config.address(), UpstreamTls.configured("middleware " + name, config.tls()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("middleware " + name + ": address: \"" + config.address() + "\" is not a URL", e);
        }
        String path = address.getRawPath() == null || address.getRawPath().isEmpty() ? "/" : address.getRawPath();
        this.pathAndQuery = address.getRawQuery() == null ? path : path + "?" + address.getRawQuery();
        this.timeout = config.timeout();
        this.responseHeaders = config.authResponseHeaders().toArray(new String[0]);
        this.requestHeaders = config.authRequestHeaders().stream().map(h -> h.toLowerCase(Locale.ROOT))
                .collect(java.util.stream.Collectors.toUnmodifiableSet());
        this.trustForwardHeader = config.trustForwardHeader();
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        List<Map.Entry<String, String>> headers = authHeaders(exchange);
        for (Map.Entry<String, String> h : headers) {
            if (hasLineBreak(h.getKey()) || hasLineBreak(h.getValue())) {
                // A line break would end the header early: nothing a client sends should reach the auth server so.
                exchange.respond(HttpResponseStatus.BAD_REQUEST, null, Rejections.JSON,
                        Rejections.body(HttpResponseStatus.BAD_REQUEST, "request headers cannot be forwarded for authorization"));
                return;
            }
        }
        Client.INSTANCE.send(target, alloc -> request(alloc, headers), exchange.eventLoop(), timeout, timeout)
                .whenComplete((answer, error) -> {
                    if (error != null || !answer.reached() || answer.truncated()) {
                        exchange.respond(HttpResponseStatus.SERVICE_UNAVAILABLE, null, Rejections.JSON, unavailable);
                    } else if (answer.status() >= 200 && answer.status() < 300) {
                        pass(exchange, next, answer);
                    } else {
                        relay(exchange, answer);
                    }
                });
    }

    private static boolean hasLineBreak(String s) {
        return s.indexOf('\r') >= 0 || s.indexOf('\n') >= 0;
    }

    private ByteBuf request(ByteBufAllocator alloc, List<Map.Entry<String, String>> headers) {
        ByteBuf buf = alloc.buffer(256 + pathAndQuery.length() + 64 * headers.size());
        OutboundClient.requestLine(buf, "GET", pathAndQuery);
        OutboundClient.header(buf, "Host", target.authority());
        for (Map.Entry<String, String> h : headers) {
            OutboundClient.header(buf, h.getKey(), h.getValue());
        }
        return OutboundClient.endHead(buf);
    }

    private List<Map.Entry<String, String>> authHeaders(Exchange exchange) {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        HttpHeaders headers = exchange.request().headers();
        for (Map.Entry<String, String> h : headers) {
            String lower = h.getKey().toLowerCase(Locale.ROOT);
            if (SKIPPED.contains(lower) || FORWARDED.contains(lower)
                    || !requestHeaders.isEmpty() && !requestHeaders.contains(lower)) {
                continue;
            }
            out.add(h);
        }
        forwarded(out, headers, "X-Forwarded-Method", exchange.request().method().name());
        forwarded(out, headers, "X-Forwarded-Proto", exchange.secure() ? "https" : "http");
        String host = headers.get("Host");
        if (host != null || trustForwardHeader && headers.contains("X-Forwarded-Host")) {
            forwarded(out, headers, "X-Forwarded-Host", host);
        }
        forwarded(out, headers, "X-Forwarded-Uri", exchange.request().uri());
        // The entry point has set X-Forwarded-For already: the chain it kept (forwardedHeaders), ending with
        // this client's address. Trusted, that chain goes as it is; else only the client's address.
        String chain = headers.get("X-Forwarded-For");
        out.add(Map.entry("X-Forwarded-For", trustForwardHeader && chain != null ? chain : exchange.clientIp()));
        if (trustForwardHeader && headers.contains("X-Forwarded-Port")) {
            out.add(Map.entry("X-Forwarded-Port", headers.get("X-Forwarded-Port")));
        }
        return out;
    }

    private void forwarded(List<Map.Entry<String, String>> out, HttpHeaders headers, String name, String own) {
        String value = trustForwardHeader && headers.contains(name) ? headers.get(name) : own;
        if (value != null) {
            out.add(Map.entry(name, value));
        }
    }

    private void pass(Exchange exchange, Next next, OutboundClient.Result answer) {
        HttpHeaders headers = exchange.request().headers();
        for (String name : responseHeaders) {
            headers.remove(name);
            for (Map.Entry<String, String> h : answer.headers()) {
                if (h.getKey().equalsIgnoreCase(name)) {
                    headers.add(name, h.getValue());
                }
            }
        }
        next.proceed(exchange);
    }

    private static void relay(Exchange exchange, OutboundClient.Result answer) {
        HttpHeaders out = new DefaultHttpHeaders();
        String contentType = null;
        for (Map.Entry<String, String> h : answer.headers()) {
            String lower = h.getKey().toLowerCase(Locale.ROOT);
            if (lower.equals("content-type")) {
                contentType = contentType == null ? h.getValue() : contentType;
            } else if (!SKIPPED.contains(lower)) {
                out.add(h.getKey(), h.getValue());
            }
        }
        HttpResponseStatus status = HttpResponseStatus.valueOf(answer.status());
        exchange.respond(status, out, contentType, new String(answer.body(), StandardCharsets.UTF_8));
    }
}
