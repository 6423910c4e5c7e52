package io.outpost.middleware;

import io.outpost.config.MiddlewareConfig;
import io.outpost.proxy.ForwardOptions;
import io.outpost.proxy.UpstreamTarget;
import io.outpost.service.RoundRobinService;
import io.outpost.service.Service;
import io.outpost.testing.Backend;
import io.outpost.testing.ProxyHarness;
import io.outpost.testing.RawHttp;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/** A real backend behind the real proxy, with the middlewares under test in between. */
final class Fixture implements AutoCloseable {

    final Backend backend;
    final ProxyHarness proxy;

    private Fixture(Backend backend, ProxyHarness proxy) {
        this.backend = backend;
        this.proxy = proxy;
    }

    static Fixture start(Middleware... middlewares) throws Exception {
        Backend backend = Backend.start("b1");
        try {
            return new Fixture(backend, new ProxyHarness(service(backend), middlewares));
        } catch (Exception | Error e) {
            backend.close();
            throw e;
        }
    }

    static Service service(Backend backend) {
        return new RoundRobinService("svc", List.of(UpstreamTarget.of(backend.url())), ForwardOptions.DEFAULTS);
    }

    static Middleware build(MiddlewareConfig config) {
        return Middlewares.create("test-" + config.type(), config);
    }

    /** Sends one raw request on a fresh connection and reads the response. */
    RawHttp.Response send(String request) throws IOException {
        try (RawHttp raw = new RawHttp(proxy.port())) {
            return raw.send(request).read();
        }
    }

    RawHttp.Response get(String target, String... headerLines) throws IOException {
        StringBuilder sb = new StringBuilder("GET ").append(target).append(" HTTP/1.1\r\nHost: shop.test\r\n");
        for (String h : headerLines) {
            sb.append(h).append("\r\n");
        }
        return send(sb.append("\r\n").toString());
    }

    /** The values of a header in the {@code index}th request the backend received, or null. */
    List<String> received(int index, String header) {
        return headerValues(backend.requestHeaders().get(index), header);
    }

    static List<String> headerValues(Map<String, List<String>> headers, String name) {
        for (Map.Entry<String, List<String>> e : headers.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name)) {
                return e.getValue();
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
