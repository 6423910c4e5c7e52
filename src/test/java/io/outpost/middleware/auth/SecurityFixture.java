package io.outpost.middleware.auth;

import io.outpost.middleware.Middleware;
import io.outpost.proxy.ForwardOptions;
import io.outpost.proxy.UpstreamTarget;
import io.outpost.service.RoundRobinService;
import io.outpost.testing.Backend;
import io.outpost.testing.ProxyHarness;
import io.outpost.testing.RawHttp;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/** A real backend behind the real proxy, with the security middlewares under test in between. */
public final class SecurityFixture implements AutoCloseable {

    public final Backend backend;
    public final ProxyHarness proxy;

    private SecurityFixture(Backend backend, ProxyHarness proxy) {
        this.backend = backend;
        this.proxy = proxy;
    }

    public static SecurityFixture start(Middleware... middlewares) throws Exception {
        Backend backend = Backend.start("b1");
        try {
            return new SecurityFixture(backend, new ProxyHarness(
                    new RoundRobinService("svc", List.of(UpstreamTarget.of(backend.url())), ForwardOptions.DEFAULTS),
                    middlewares));
        } catch (Exception | Error e) {
            backend.close();
            throw e;
        }
    }

    /** A middleware that copies the consumer and the {@code sub} claim into request headers, to observe them upstream. */
    public static Middleware exposeIdentity() {
        return (ex, next) -> {
            String consumer = Consumers.of(ex);
            String sub = Claims.string(ex, "sub");
            ex.request().headers().set("X-Seen-Consumer", consumer == null ? "-" : consumer);
            ex.request().headers().set("X-Seen-Sub", sub == null ? "-" : sub);
            next.proceed(ex);
        };
    }

    public static String sha256(String key) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(key.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    /** Consumers {@code pos} (key {@code pos-secret-key}) and {@code backoffice} ({@code bo-secret-key}); query {@code api_key}. */
    public static ApiKeyMiddleware apiKey(boolean forward) throws Exception {
        return new ApiKeyMiddleware("keys", new io.outpost.config.MiddlewareConfig.ApiKey("X-API-Key",
                java.util.Optional.of("api_key"), List.of(
                new io.outpost.config.MiddlewareConfig.ApiKeyEntry("pos", sha256("pos-secret-key")),
                new io.outpost.config.MiddlewareConfig.ApiKeyEntry("backoffice", sha256("bo-secret-key"))), forward));
    }

    public RawHttp.Response get(String target, String... headerLines) throws IOException {
        StringBuilder sb = new StringBuilder("GET ").append(target).append(" HTTP/1.1\r\nHost: shop.test\r\n");
        for (String h : headerLines) {
            sb.append(h).append("\r\n");
        }
        try (RawHttp raw = new RawHttp(proxy.port())) {
            return raw.send(sb.append("\r\n").toString()).read();
        }
    }

    /** The first value of {@code header} in the last request the backend received, or null. */
    public String lastReceived(String header) {
        List<Map<String, List<String>>> all = backend.requestHeaders();
        Map<String, List<String>> last = all.get(all.size() - 1);
        for (Map.Entry<String, List<String>> e : last.entrySet()) {
            if (e.getKey().equalsIgnoreCase(header)) {
                return e.getValue().get(0);
            }
        }
        return null;
    }

    @Override
    public void close() {
        proxy.close();
        backend.close();
    }
}
