package io.outpost.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpUtil;
import io.outpost.config.ServiceConfig;
import io.outpost.proxy.OutboundClient;
import io.outpost.proxy.ProxyExchange;
import io.outpost.proxy.Transport;
import io.outpost.proxy.UpstreamTarget;
import io.outpost.upstream.split.MirrorSelector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A {@code mirroring} service: the main service answers every request; each mirror gets a copy of
 * its share (chosen deterministically: 10% is exactly one request in ten) and its answer is thrown
 * away. Copies go out on the request's event loop, over the gateway's own keep-alive connections
 * (with the mirror service's upstream TLS for https endpoints), are never waited for, and are capped
 * in number per mirror, so a slow or dead mirror never slows or fails the main request. Bodies are
 * copied up to {@code maxBodySize}; a request with a larger body is not mirrored. Counters
 * {@code outpost.mirror.requests{outcome=mirrored|dropped}} count both.
 */
public final class MirroringService implements Service {

    /** Mirror copies in flight per mirror; more are dropped rather than queued. */
    static final int MAX_IN_FLIGHT = 256;

    private static final String REQUESTS_METER = "outpost.mirror.requests";

    private static final Set<String> NOT_COPIED = Set.of("connection", "content-length", "expect", "host", "upgrade",
            "keep-alive", "transfer-encoding", "te", "trailer", "proxy-connection", "proxy-authorization", "via",
            "date", "from", "warning");

    /** Mirrors share one client: its connections are apart from the proxy's, which main requests use. */
    private static final class Client {
        static final OutboundClient INSTANCE = create();

        private static OutboundClient create() {
            OutboundClient client = new OutboundClient(Transport.best(), 0); // answers are read and dropped
            client.timeouts(Duration.ofSeconds(2), Duration.ofSeconds(30));
            return client;
        }
    }

    private final String name;
    private final Service main;
    private final long maxBodySize;
    private final Mirror[] mirrors;

    public MirroringService(String name, ServiceConfig.Mirroring config, Function<String, Service> built,
                            MeterRegistry metrics) {
        this.name = name;
        this.main = built.apply(config.service());
        if (main == null) {
            throw new IllegalArgumentException("service " + name + ": '" + config.service() + "' is not built");
        }
        this.maxBodySize = config.maxBodySize();
        this.mirrors = new Mirror[config.mirrors().size()];
        for (int i = 0; i < mirrors.length; i++) {
            ServiceConfig.Mirror m = config.mirrors().get(i);
            Service s = built.apply(m.name());
            if (!(s instanceof Addressable a)) {
                throw new IllegalArgumentException("service " + name + ": mirror '" + m.name()
                        + "' is not a loadBalancer or weighted service");
            }
            mirrors[i] = new Mirror(m.name(), a, new MirrorSelector(m.percent()), m.percent(),
                    counter(metrics, name, m.name(), "mirrored"), counter(metrics, name, m.name(), "dropped"));
        }
    }

    private static Counter counter(MeterRegistry metrics, String service, String mirror, String outcome) {
        return Counter.builder(REQUESTS_METER).description("Requests copied to a mirror, or not")
                .tags("service", service, "mirror", mirror, "outcome", outcome).register(metrics);
    }

    /**
     * Removes the counters of mirrors that {@code services} (the configuration now serving) no longer has,
     * so that a removed mirror or mirroring service stops being reported. The counters of a mirror that is
     * still configured are left alone: its service in the new snapshot holds the same counters (a reload
     * does not reset them), and removing them would leave it counting into meters no scrape shows.
     */
    public static void retainMeters(MeterRegistry metrics, Map<String, ServiceConfig> services) {
        for (Meter meter : metrics.find(REQUESTS_METER).meters()) {
            String service = meter.getId().getTag("service");
            String mirror = meter.getId().getTag("mirror");
            boolean configured = services.get(service) instanceof ServiceConfig.Mirroring m
                    && m.mirrors().stream().anyMatch(x -> x.name().equals(mirror));
            if (!configured) {
                metrics.remove(meter);
            }
        }
    }

    @Override
    public void handle(ProxyExchange exchange) {
        List<Mirror> chosen = null;
        for (Mirror m : mirrors) {
            if (m.selector.shouldMirror()) {
                if (chosen == null) {
                    chosen = new ArrayList<>(mirrors.length);
                }
                chosen.add(m);
            }
        }
        if (chosen != null) {
            copy(exchange, chosen);
        }
        main.handle(exchange);
    }

    private void copy(ProxyExchange exchange, List<Mirror> chosen) {
        long declared = HttpUtil.getContentLength(exchange.request(), -1L);
        if (declared > maxBodySize) {
            chosen.forEach(m -> m.dropped.increment());
            return;
        }
        // The head is copied now: the main forward may change it.
        String method = exchange.method();
        String uri = exchange.request().uri();
        List<Map.Entry<String, String>> headers = exchange.request().headers().entries();
        List<UpstreamTarget> targets = new ArrayList<>(chosen.size());
        for (Mirror m : chosen) {
            targets.add(m.service.choose(exchange));
        }
        EventLoop loop = exchange.eventLoop();
        exchange.teeRequestBody(new MirrorCopy(maxBodySize, (body, size) -> {
            for (int i = 0; i < chosen.size(); i++) {
                Mirror m = chosen.get(i);
                if (body == null || targets.get(i) == null || !m.send(targets.get(i), method, uri, headers, body, size, loop)) {
                    m.dropped.increment();
                }
            }
        }));
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("type", "mirroring");
        out.put("maxBodySize", maxBodySize);
        List<Object> list = new ArrayList<>();
        for (Mirror m : mirrors) {
            list.add(Map.of("name", m.name, "percent", m.percent, "mirrored", (long) m.mirrored.count(),
                    "dropped", (long) m.dropped.count(), "inFlight", m.inFlight.get()));
        }
        out.put("mirrors", list);
        return out;
    }

    public String name() {
        return name;
    }

    private record Mirror(String name, Addressable service, MirrorSelector selector, int percent, Counter mirrored,
                          Counter dropped, AtomicInteger inFlight) {

        Mirror(String name, Addressable service, MirrorSelector selector, int percent, Counter mirrored,
               Counter dropped) {
            this(name, service, selector, percent, mirrored, dropped, new AtomicInteger());
        }

        /** Sends a copy and forgets it; false when too many copies are in flight. */
        boolean send(UpstreamTarget target, String method, String uri, List<Map.Entry<String, String>> headers,
                     byte[] body, int size, EventLoop loop) {
            if (inFlight.incrementAndGet() > MAX_IN_FLIGHT) {
                inFlight.decrementAndGet();
                return false;
            }
            Client.INSTANCE.send(target, alloc -> request(alloc, target, method, uri, headers, body, size), loop)
                    .whenComplete((r, e) -> inFlight.decrementAndGet());
            mirrored.increment();
            return true;
        }

        /** The copy: the client's head without hop-by-hop and per-connection fields, and the body read so far. */
        private static ByteBuf request(ByteBufAllocator alloc, UpstreamTarget target, String method, String uri,
                                       List<Map.Entry<String, String>> headers, byte[] body, int size) {
            ByteBuf buf = alloc.buffer(256 + uri.length() + 64 * headers.size() + size);
            OutboundClient.requestLine(buf, method, uri);
            for (Map.Entry<String, String> h : headers) {
                if (!NOT_COPIED.contains(h.getKey().toLowerCase(Locale.ROOT))) {
                    OutboundClient.header(buf, h.getKey(), h.getValue());
                }
            }
            OutboundClient.header(buf, "Host", target.authority());
            OutboundClient.header(buf, HttpHeaderNames.VIA.toString(), "1.1 outpost-mirror");
            if (size > 0 || !method.equals("GET") && !method.equals("HEAD")) {
                OutboundClient.header(buf, "Content-Length", Integer.toString(size));
            }
            return OutboundClient.endHead(buf).writeBytes(body, 0, size);
        }
    }
}
