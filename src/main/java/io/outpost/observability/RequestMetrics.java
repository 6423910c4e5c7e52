package io.outpost.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.outpost.config.OutpostConfig;
import io.outpost.config.RouterConfig;
import io.outpost.proxy.AccessLog;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The request meters of every entry point, router and service, in the names and labels a Traefik user
 * looks for: {@code outpost_requests_total{entrypoint,router,service,method,code}},
 * {@code outpost_request_duration_seconds} (a histogram, labelled without the method), and
 * {@code outpost_request_bytes_total} / {@code outpost_response_bytes_total}. Every finished request
 * counts, those the gateway answered itself included (404 without a router, 413, 429, 502, 504, a
 * malformed head); one that matched no router has an empty {@code router} and {@code service}.
 *
 * <p>Labels stay bounded: methods outside RFC 9110's and PATCH are counted as {@code OTHER}, and
 * nothing from the path, the client or the request id becomes a label. {@link #retain} removes the
 * meters of routers a reload removed (or pointed at another service), so that they stop being
 * reported instead of lingering until a restart; one added back starts again from zero. A request that
 * was still running on the replaced configuration, however long, records nothing for such a router
 * when it ends: meters are made only for what the configuration serving routes, and a removed
 * series stays removed.
 *
 * <p>Recording runs on the event loops and allocates nothing once a combination of labels was seen;
 * making the meters of a new combination takes a lock that {@link #retain} holds too.
 */
public final class RequestMetrics implements AccessLog {

    static final String REQUESTS = "outpost.requests";
    static final String DURATION = "outpost.request.duration";
    static final String REQUEST_BYTES = "outpost.request.bytes";
    static final String RESPONSE_BYTES = "outpost.response.bytes";

    /** The methods that are labels of their own; anything else is {@code OTHER}. */
    private static final String[] METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE",
            "PATCH", "OTHER"};
    private static final int OTHER = METHODS.length - 1;

    /** Bucket bounds of the duration histogram, from a loopback answer to a long upload. */
    private static final Duration[] BUCKETS = Arrays.stream(new double[] {
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60})
            .mapToObj(s -> Duration.ofNanos(Math.round(s * 1e9))).toArray(Duration[]::new);

    private final MeterRegistry registry;
    /** entry point, then router, then service; entries are added and removed only while holding this. */
    private final Map<String, Map<String, Map<String, Series>>> series = new ConcurrentHashMap<>();
    /** The routers of the configuration serving, set by {@link #retain}; null before: every router counts. */
    private Map<String, RouterConfig> routers;

    public RequestMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void log(Entry entry, long durationNanos) {
        Series s = series(entry.entryPoint(), entry.routerName(), entry.serviceName());
        Cell cell = s == null ? null : s.cell(methodIndex(entry.method()), entry.status());
        if (cell == null) {
            return; // the configuration serving does not route it any more
        }
        cell.record(durationNanos);
        long in = entry.requestBytes();
        if (in > 0) {
            s.requestBytes.increment(in);
        }
        long out = entry.responseBytes();
        if (out > 0) {
            s.responseBytes.increment(out);
        }
    }

    private Series series(String entryPoint, String router, String service) {
        String ep = entryPoint == null ? "" : entryPoint;
        String r = router == null ? "" : router;
        String svc = service == null ? "" : service;
        Map<String, Map<String, Series>> byRouter = series.get(ep);
        Map<String, Series> byService = byRouter == null ? null : byRouter.get(r);
        Series s = byService == null ? null : byService.get(svc);
        return s != null ? s : add(ep, r, svc);
    }

    /** The series of a combination not seen yet, or null when the configuration serving does not route it. */
    private synchronized Series add(String entryPoint, String router, String service) {
        if (routers != null && !routes(routers, entryPoint, router, service)) {
            return null;
        }
        return series.computeIfAbsent(entryPoint, k -> new ConcurrentHashMap<>())
                .computeIfAbsent(router, k -> new ConcurrentHashMap<>())
                .computeIfAbsent(service, k -> new Series(entryPoint, router, k));
    }

    static int methodIndex(String method) {
        if (method == null) {
            return OTHER;
        }
        return switch (method) {
            case "GET" -> 0;
            case "HEAD" -> 1;
            case "POST" -> 2;
            case "PUT" -> 3;
            case "DELETE" -> 4;
            case "CONNECT" -> 5;
            case "OPTIONS" -> 6;
            case "TRACE" -> 7;
            case "PATCH" -> 8;
            default -> OTHER;
        };
    }

    /**
     * From now on records only what {@code config} routes, and removes the meters of what it does not: a
     * router that is gone, that leads to another service now, or that no longer serves the entry point.
     * Requests no router matched keep theirs. Called before a snapshot starts serving, so that the first
     * requests of its new routers count; a request still running on the replaced one records nothing for
     * what this removed.
     */
    public synchronized void retain(OutpostConfig config) {
        routers = config.http().routers();
        series.forEach((ep, byRouter) -> {
            byRouter.forEach((router, byService) -> byService.values().removeIf(s -> {
                if (routes(routers, ep, router, s.service)) {
                    return false;
                }
                s.remove();
                return true;
            }));
            byRouter.values().removeIf(Map::isEmpty);
        });
        series.values().removeIf(Map::isEmpty);
    }

    private static boolean routes(Map<String, RouterConfig> routers, String entryPoint, String router, String service) {
        if (router == null || router.isEmpty()) {
            return true;
        }
        RouterConfig r = routers.get(router);
        return r != null && r.service().equals(service) && r.servesEntryPoint(entryPoint);
    }

    /**
     * The meters of one entry point, router and service. Once removed it stays removed: a request that
     * still holds it records into meters no scrape shows, and makes no new ones.
     */
    private final class Series {
        private final String entryPoint;
        private final String router;
        private final String service;
        final Counter requestBytes;
        final Counter responseBytes;
        /** Copied on write: a series sees few combinations of method and status, found by a short scan. */
        private volatile Cell[] cells = new Cell[0];
        /** Guarded by this. */
        private boolean removed;

        Series(String entryPoint, String router, String service) {
            this.entryPoint = entryPoint;
            this.router = router;
            this.service = service;
            this.requestBytes = Counter.builder(REQUEST_BYTES).description("request body bytes received from clients")
                    .tags("entrypoint", entryPoint, "router", router, "service", service).register(registry);
            this.responseBytes = Counter.builder(RESPONSE_BYTES).description("response body bytes sent to clients")
                    .tags("entrypoint", entryPoint, "router", router, "service", service).register(registry);
        }

        Cell cell(int method, int status) {
            int code = status < 0 || status > 999 ? 0 : status;
            int key = method * 1000 + code;
            for (Cell c : cells) {
                if (c.key == key) {
                    return c;
                }
            }
            return add(key, method, code);
        }

        /** The cell for {@code key}, made now, or null once this series is removed. */
        private synchronized Cell add(int key, int method, int code) {
            if (removed) {
                return null;
            }
            for (Cell c : cells) {
                if (c.key == key) {
                    return c;
                }
            }
            String codeLabel = Integer.toString(code);
            Counter requests = Counter.builder(REQUESTS).description("requests answered, by method and status code")
                    .tags("entrypoint", entryPoint, "router", router, "service", service,
                            "method", METHODS[method], "code", codeLabel).register(registry);
            Timer duration = Timer.builder(DURATION)
                    .description("time from a request's head to the last byte of its response")
                    .tags("entrypoint", entryPoint, "router", router, "service", service, "code", codeLabel)
                    .serviceLevelObjectives(BUCKETS).register(registry);
            Cell c = new Cell(key, requests, duration);
            Cell[] next = Arrays.copyOf(cells, cells.length + 1);
            next[cells.length] = c;
            cells = next;
            return c;
        }

        synchronized void remove() {
            removed = true;
            registry.remove(requestBytes);
            registry.remove(responseBytes);
            for (Cell c : cells) {
                registry.remove(c.requests);
                registry.remove(c.duration);
            }
        }
    }

    private record Cell(int key, Counter requests, Timer duration) {
        void record(long durationNanos) {
            requests.increment();
            duration.record(Math.max(0, durationNanos), TimeUnit.NANOSECONDS);
        }
    }
}
