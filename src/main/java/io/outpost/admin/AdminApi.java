package io.outpost.admin;

import io.outpost.config.ConfigJson;
import io.outpost.config.OutpostConfig;
import io.outpost.config.RouterConfig;
import io.outpost.replication.ReplicatedService;
import io.outpost.runtime.Gateway;
import io.outpost.runtime.GatewayRuntime;
import io.outpost.service.Service;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The admin endpoints of DESIGN.md, over a running {@link Gateway}. Reads take GET and HEAD, the
 * pause and resume actions POST; other methods get 405 with {@code Allow}. {@code /health}, {@code /ready},
 * the dashboard page and {@code /} (a redirect to it) are served without the token; the API calls the page
 * makes need it.
 */
public final class AdminApi {

    private AdminApi() {
    }

    public static void install(AdminServer server, Gateway gateway) {
        // Probes answer without the token: a load balancer or an orchestrator has none.
        server.openRoute("/health", (m, p, b) -> AdminResponse.text(200, "text/plain", "ok\n"));
        server.openRoute("/ready", (m, p, b) -> gateway.notReady()
                .map(why -> AdminResponse.text(503, "text/plain", "not ready: " + why + "\n"))
                .orElseGet(() -> AdminResponse.text(200, "text/plain", "ready\n")));
        server.route("/api/routers", (m, p, b) -> withRuntime(gateway, rt -> AdminResponse.json(200, routers(rt))));
        server.route("/api/services", (m, p, b) -> withRuntime(gateway, rt -> AdminResponse.json(200, services(rt))));
        server.route("/api/services/{name}", (m, p, b) -> withRuntime(gateway, rt -> {
            Service s = rt.services().get(p.get(0));
            return s == null ? AdminResponse.error(404, "no service named " + p.get(0))
                    : AdminResponse.json(200, service(p.get(0), s));
        }));
        server.route("/api/services/{name}/replicas/{replica}/pause", List.of("POST"),
                (m, p, b) -> withRuntime(gateway, rt -> replicaAction(rt, p, true)));
        server.route("/api/services/{name}/replicas/{replica}/resume", List.of("POST"),
                (m, p, b) -> withRuntime(gateway, rt -> replicaAction(rt, p, false)));
        server.route("/api/entrypoints", (m, p, b) -> withRuntime(gateway, rt -> {
            List<Object> out = new ArrayList<>();
            gateway.proxy().entryPoints().forEach(ep -> out.add(Map.of("name", ep.name(),
                    "address", ep.localAddress().getHostString() + ":" + ep.localAddress().getPort())));
            return AdminResponse.json(200, out);
        }));
        server.route("/metrics", new Metrics(gateway));
        server.route("/api/config", (m, p, b) -> withRuntime(gateway,
                rt -> AdminResponse.json(ConfigJson.render(rt.config()))));
        server.openRoute("/dashboard", Dashboard.load());
        server.openRoute("/", Dashboard::redirect);
    }

    /**
     * {@code GET /metrics}: the Prometheus text format (0.0.4), or OpenMetrics 1.0 for a scraper whose
     * {@code Accept} prefers it, as Prometheus's does by default.
     */
    static final class Metrics implements AdminHandler {
        static final String TEXT = "text/plain; version=0.0.4; charset=utf-8";
        static final String OPEN_METRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";
        /** The text format first: it is the answer when the header prefers neither. */
        private static final ContentNegotiation FORMATS = new ContentNegotiation("text/plain",
                "application/openmetrics-text");

        private final Gateway gateway;

        Metrics(Gateway gateway) {
            this.gateway = gateway;
        }

        @Override
        public AdminResponse handle(String method, List<String> params, byte[] body) {
            return handle(method, params, body, null);
        }

        @Override
        public AdminResponse handle(String method, List<String> params, byte[] body, String accept) {
            String type = FORMATS.choose(accept) == 1 ? OPEN_METRICS : TEXT;
            return AdminResponse.text(200, type, gateway.metrics().scrape(type));
        }
    }

    private static AdminResponse withRuntime(Gateway gateway, java.util.function.Function<GatewayRuntime, AdminResponse> f) {
        GatewayRuntime rt = gateway.runtime();
        return rt == null ? AdminResponse.error(503, "no configuration loaded") : f.apply(rt);
    }

    /** Pauses or resumes a replica of a replicated service (the route takes POST only). */
    static AdminResponse replicaAction(GatewayRuntime rt, List<String> p, boolean pause) {
        Service s = rt.services().get(p.get(0));
        if (s == null) {
            return AdminResponse.error(404, "no service named " + p.get(0));
        }
        if (!(s instanceof ReplicatedService replicated)) {
            return AdminResponse.error(400, "service " + p.get(0) + " is not a replicated service");
        }
        boolean found = pause ? replicated.pause(p.get(1)) : replicated.resume(p.get(1));
        if (!found) {
            return AdminResponse.error(404, "service " + p.get(0) + " has no replica named " + p.get(1)
                    + " (replicas: " + replicated.replicaNames() + ")");
        }
        return AdminResponse.json(200, service(p.get(0), s));
    }

    static List<Object> routers(GatewayRuntime rt) {
        OutpostConfig config = rt.config();
        List<Object> out = new ArrayList<>();
        for (Map.Entry<String, RouterConfig> e : config.http().routers().entrySet()) {
            RouterConfig r = e.getValue();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", e.getKey());
            m.put("rule", r.rule());
            m.put("service", r.service());
            m.put("middlewares", r.middlewares());
            m.put("priority", r.priority().isPresent() ? r.priority().getAsInt() : r.rule().length());
            m.put("entryPoints", r.entryPoints().isEmpty() ? List.copyOf(config.entryPoints().keySet()) : r.entryPoints());
            out.add(m);
        }
        return out;
    }

    static List<Object> services(GatewayRuntime rt) {
        List<Object> out = new ArrayList<>();
        rt.services().forEach((name, s) -> out.add(service(name, s)));
        return out;
    }

    static Map<String, Object> service(String name, Service s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.putAll(s.describe());
        return m;
    }
}
